#ifndef PHOTOPREFLIGHT_CPNG_H
#define PHOTOPREFLIGHT_CPNG_H

#include <stddef.h>

enum { PP_PNG_OK = 0, PP_PNG_ERROR = 1, PP_PNG_TOO_LARGE = 2, PP_PNG_NO_MEMORY = 3 };

/// What one decode produced. `pixels` is malloc'd (free it with pp_png_free):
/// width × height × channels bytes of 8-bit sRGB, rows top to bottom.
typedef struct {
    int code;
    char message[64];      ///< libpng's text (png_image.message) for an error or a warning
    int had_warning;
    int width, height;
    int channels;          ///< 1 grey, 3 RGB, 4 RGBA (grey+alpha comes back as RGBA)
    unsigned char *pixels;
    size_t pixel_bytes;
} pp_png_decoded;

/// Decodes a whole PNG from memory with libpng's simplified png_image API, which handles palette,
/// grey, 16-bit, tRNS and Adam7 input and reports errors in png_image.message (no setjmp here).
/// Refuses (PP_PNG_TOO_LARGE) before allocating pixels when width × height exceeds `max_pixels`.
/// The reference the streaming decoder below is tested against (pixel for pixel).
int pp_png_decode(const unsigned char *data, size_t size, unsigned long long max_pixels,
                  pp_png_decoded *out);

/// Where the compressed bytes come from: `data`/`size` in memory, or (when `data` is NULL) the
/// open file `fd`, read with pread in 64 KiB blocks.
typedef struct {
    const unsigned char *data;
    size_t size;
    int fd;
} pp_png_input;

/// What the header says, and what a decode produces: the same 8-bit layout as pp_png_decode.
typedef struct {
    int code;
    char message[64];      ///< libpng's text for an error, or its first warning
    int had_warning;
    int width, height;     ///< of the whole image
    int channels;          ///< 1 grey, 3 RGB, 4 RGBA (grey+alpha and tRNS come back as RGBA)
    int interlaced;
    int alpha_used;        ///< some decoded pixel is not fully opaque (at full resolution)
} pp_png_result;

/// Reads the PNG header chunks (up to the first IDAT) without decoding rows.
int pp_png_inspect(const pp_png_input *input, pp_png_result *result);

/// Decodes, row by row, the rectangle (x, y, width, height) of the PNG (clamped to it; a negative
/// width means everything), shrunk by the whole `factor` (each output pixel the rounded mean of a
/// factor × factor block of the rectangle; the last blocks may be partial), into `out` of
/// `capacity` bytes. Colour handling is that of pp_png_decode: palette and tRNS expanded, grey
/// with alpha to RGBA, 16-bit scaled to 8 with the 16-bit values taken as sRGB-encoded, libpng's
/// gamma handling (gAMA) applied. At most one row of the image is held at a time (Adam7 files:
/// one row per pass, placed straight into the output), so the memory is the output's, whatever
/// the image's size. Rows below the rectangle are not decoded.
int pp_png_decode_into(const pp_png_input *input, int x, int y, int width, int height, int factor,
                       unsigned long long max_pixels, unsigned char *out, size_t capacity,
                       pp_png_result *result);

/// Encodes raw PNG samples with libpng's full API (the simplified one writes neither palettes,
/// sub-byte depths nor interlacing). `samples` hold rows in the PNG's own layout (big-endian
/// 16-bit, packed 1/2/4-bit), `row_bytes` apart; with `repeat_first_row` every row is the first.
/// `color_type` is the PNG value (0, 2, 3, 4, 6); `palette` is RGB triples, `trns` alpha bytes.
int pp_png_encode(const unsigned char *samples, size_t row_bytes, int repeat_first_row,
                  int width, int height, int bit_depth, int color_type, int interlace,
                  const unsigned char *palette, int palette_entries,
                  const unsigned char *trns, int trns_entries, int compression_level,
                  unsigned char **out, size_t *out_size, char message[200]);

/// Inflates one zlib stream (a PNG iCCP profile) of at most `max_out` bytes into a malloc'd buffer
/// (free it with pp_png_free). PP_PNG_TOO_LARGE when the data would inflate beyond `max_out`.
int pp_inflate(const unsigned char *data, size_t size, size_t max_out, unsigned char **out, size_t *out_size);

void pp_png_free(void *pointer);

#endif
