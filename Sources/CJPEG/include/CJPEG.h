#ifndef PHOTOPREFLIGHT_CJPEG_H
#define PHOTOPREFLIGHT_CJPEG_H

#include <stddef.h>

/// Result codes of the whole-image calls below.
/// PP_JPEG_OVER_MEMORY: the decode would need more working memory than the caller allows.
/// PP_JPEG_IMPERFECT: a lossless turn or flip would move partial edge blocks (the size is not a
/// multiple of the MCU along a flipped axis); decode and re-encode instead.
enum { PP_JPEG_OK = 0, PP_JPEG_ERROR = 1, PP_JPEG_TOO_LARGE = 2, PP_JPEG_NO_MEMORY = 3, PP_JPEG_OVER_MEMORY = 4,
       PP_JPEG_IMPERFECT = 5 };

/// Colour spaces, mirroring libjpeg's J_COLOR_SPACE without exposing its header to Swift.
enum { PP_CS_UNKNOWN = 0, PP_CS_GRAYSCALE = 1, PP_CS_RGB = 2, PP_CS_YCBCR = 3, PP_CS_CMYK = 4, PP_CS_YCCK = 5 };

/// Where the compressed bytes come from: `data`/`size` in memory, or (when `data` is NULL) the
/// open file `fd`, read with pread in 64 KiB blocks, so a large file is never held whole.
/// `chunk` > 0 hands libjpeg at most that many bytes at a time. Below 512 bytes this keeps
/// libjpeg-turbo off its fast Huffman path, which decodes a bad Huffman code as 0 without a
/// warning; the slow path warns ("Corrupt JPEG data: bad Huffman code"). 0: all at once.
typedef struct {
    const unsigned char *data;
    size_t size;
    int fd;
    size_t chunk;
} pp_jpeg_input;

/// What the headers say, read without decoding any pixel.
typedef struct {
    int code;
    char message[200];
    int width, height;        ///< output size at the requested scale
    int components;           ///< output components: 1 (grey), 3 (RGB) or 4 (CMYK as stored)
    int file_color_space;     ///< PP_CS_* of the encoded data
    int saw_adobe_marker;
    int adobe_transform;
    int multiple_scans;       ///< progressive or multi-scan: libjpeg keeps every coefficient
    unsigned long long working_bytes;  ///< libjpeg's own memory for a decode (coefficients, rows)
    unsigned long long coefficient_bytes;  ///< every DCT coefficient of the image (what a transcode holds)
    int imcu_width, imcu_height;  ///< the MCU size in pixels (lossless turns need whole MCUs on flipped edges)
} pp_jpeg_info;

/// Reads the headers of a JPEG (up to its first scan) and reports what a decode at
/// 1/`scale_denom` (1, 2, 4 or 8) would produce and need.
int pp_jpeg_inspect(const pp_jpeg_input *input, int scale_denom, pp_jpeg_info *info);

/// What one decode produced.
typedef struct {
    int code;
    char message[200];        ///< libjpeg's text for the fatal error, when code != OK
    int warning_count;        ///< every warning libjpeg raised (corrupt data, premature end, ...)
    int damaged;              ///< 1 when a warning means lost image data (anything but extraneous bytes)
    int truncated;            ///< 1 when libjpeg hit the end of the data early ("Premature end of JPEG file")
    char first_warning[200];  ///< libjpeg's text for the first warning
    int width, height;        ///< the decoded rectangle
    int components;           ///< 1 (grey), 3 (RGB) or 4 (CMYK as stored in the file)
    int file_color_space;
    int saw_adobe_marker;
    int adobe_transform;
} pp_jpeg_result;

/// Decodes the rectangle (x, y, width, height) of the image scaled to 1/`scale_denom` (clamped
/// to it; a negative width decodes everything) into `out`, which holds `capacity` bytes: rows top
/// to bottom, no padding. Columns outside the rectangle skip the inverse DCT, rows below it are
/// not decoded. Refuses before decoding (PP_JPEG_TOO_LARGE) more than `max_pixels` scaled pixels
/// or, when `max_memory` > 0, a decode whose working memory would exceed it; libjpeg's
/// `max_memory_to_use` is set to it as well, so it errors rather than allocate past it.
/// At most `max_scans` progressive scans are accepted (hostile files can hold thousands).
int pp_jpeg_decode_into(const pp_jpeg_input *input, int scale_denom, int x, int y, int width, int height,
                        unsigned long long max_pixels, int max_scans, unsigned long long max_memory,
                        unsigned char *out, size_t capacity, pp_jpeg_result *result);

/// Encodes pixels (1 = grey, 3 = RGB, 4 = CMYK) to a JPEG in memory.
/// `file_color_space` is PP_CS_YCBCR/RGB for 3 channels, PP_CS_CMYK/YCCK for 4, GRAYSCALE for 1.
/// Subsampling 4:2:0 when `chroma_420`, else 4:4:4. No markers beyond JFIF (when `write_jfif`)
/// and Adobe (libjpeg writes it for CMYK/YCCK): no EXIF, XMP or comments.
int pp_jpeg_encode(const unsigned char *pixels, int width, int height, int components,
                   int file_color_space, int quality, int progressive, int optimize_coding,
                   int chroma_420, int write_jfif, int arithmetic,
                   unsigned char **out, size_t *out_size, char message[200]);

/// A JPEG's DCT coefficients held for lossless rewriting (jpegtran's job, done here): turned
/// upright by an EXIF orientation (2–8; 1 = as stored) without decoding a pixel, requantised to a
/// coarser quality, written as an optimised baseline JPEG with the caller's marker segments.
typedef struct pp_jpeg_transcoder pp_jpeg_transcoder;

/// Reads every coefficient of the JPEG (fd or memory). NULL on failure, with `result` saying why:
/// PP_JPEG_IMPERFECT when `orientation` needs a flip along an edge that is not a whole number of
/// MCUs, PP_JPEG_OVER_MEMORY when the coefficients would exceed `max_memory` (> 0). `result`
/// also carries the warnings (damaged, truncated) and the output size (width, height).
pp_jpeg_transcoder *pp_jpeg_transcoder_open(const pp_jpeg_input *input, int orientation, int max_scans,
                                            unsigned long long max_memory, pp_jpeg_result *result);

/// Writes the held image as a baseline JPEG with optimised Huffman tables. `tables` NULL keeps
/// the quantisation tables (lossless); otherwise it holds 128 divisors in natural (row-major)
/// order, 64 for luminance then 64 for chrominance (each at most 255), and each coefficient is
/// requantised to them wherever they are coarser than the file's own (never finer: that adds
/// bytes, not detail).
/// `sample_step` > 1 writes only every that-many-th row of MCUs (a shorter image, no markers):
/// its size times the step estimates the whole image's at a fraction of the time.
/// `markers` holds the segments to write after the frame header, each as a marker code byte
/// (0xE0–0xEF, 0xFE), a 4-byte little-endian length and the payload.
/// `crop_width` > 0 writes only that rectangle of the turned image (`jpegtran -crop`): its corner
/// must lie on the MCU grid (multiples of the MCU size), its size may be anything inside.
int pp_jpeg_transcoder_write(pp_jpeg_transcoder *transcoder, const unsigned short *tables, int crop_x, int crop_y,
                             int crop_width, int crop_height, int sample_step,
                             const unsigned char *markers, size_t markers_size,
                             unsigned char **out, size_t *out_size, char message[200]);

void pp_jpeg_transcoder_close(pp_jpeg_transcoder *transcoder);

void pp_jpeg_free(void *pointer);

#endif
