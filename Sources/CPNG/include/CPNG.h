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
int pp_png_decode(const unsigned char *data, size_t size, unsigned long long max_pixels,
                  pp_png_decoded *out);

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
