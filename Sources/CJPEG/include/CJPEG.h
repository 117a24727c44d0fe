#ifndef PHOTOPREFLIGHT_CJPEG_H
#define PHOTOPREFLIGHT_CJPEG_H

#include <stddef.h>

/// Result codes of the whole-image calls below.
enum { PP_JPEG_OK = 0, PP_JPEG_ERROR = 1, PP_JPEG_TOO_LARGE = 2, PP_JPEG_NO_MEMORY = 3 };

/// Colour spaces, mirroring libjpeg's J_COLOR_SPACE without exposing its header to Swift.
enum { PP_CS_UNKNOWN = 0, PP_CS_GRAYSCALE = 1, PP_CS_RGB = 2, PP_CS_YCBCR = 3, PP_CS_CMYK = 4, PP_CS_YCCK = 5 };

/// What one decode produced. `pixels` is malloc'd (free it with pp_jpeg_free) and holds
/// width × height × components bytes, rows top to bottom, no padding.
typedef struct {
    int code;
    char message[200];        ///< libjpeg's text for the fatal error, when code != OK
    int warning_count;        ///< every warning libjpeg raised (corrupt data, premature end, ...)
    int damaged;              ///< 1 when a warning means lost image data (anything but extraneous bytes)
    int truncated;            ///< 1 when libjpeg hit the end of the data early ("Premature end of JPEG file")
    char first_warning[200];  ///< libjpeg's text for the first warning
    int width, height;        ///< output size after DCT scaling
    int components;           ///< 1 (grey), 3 (RGB) or 4 (CMYK as stored in the file)
    int file_color_space;     ///< PP_CS_* of the encoded data
    int saw_adobe_marker;
    int adobe_transform;
    unsigned char *pixels;
    size_t pixel_bytes;
} pp_jpeg_decoded;

/// Decodes a whole JPEG from memory at scale 1/`scale_denom` (1, 2, 4 or 8).
/// Refuses (PP_JPEG_TOO_LARGE) before allocating pixels when the scaled output exceeds `max_pixels`.
/// Greyscale stays 1 channel, YCbCr/RGB become RGB, CMYK/YCCK come back as CMYK (4 channels).
/// At most `max_scans` progressive scans are accepted (hostile files can hold thousands).
int pp_jpeg_decode(const unsigned char *data, size_t size, int scale_denom,
                   unsigned long long max_pixels, int max_scans, pp_jpeg_decoded *out);

/// Decodes only the rectangle (x, y, width, height) of the scaled image (clamped to it; a
/// negative width decodes everything). Columns outside it skip the inverse DCT and rows below it
/// are not decoded at all. `max_pixels` applies to the whole scaled image.
int pp_jpeg_decode_region(const unsigned char *data, size_t size, int scale_denom,
                          int x, int y, int width, int height,
                          unsigned long long max_pixels, int max_scans, pp_jpeg_decoded *out);

/// Encodes pixels (1 = grey, 3 = RGB, 4 = CMYK) to a JPEG in memory.
/// `file_color_space` is PP_CS_YCBCR/RGB for 3 channels, PP_CS_CMYK/YCCK for 4, GRAYSCALE for 1.
/// Subsampling 4:2:0 when `chroma_420`, else 4:4:4. No markers beyond JFIF (when `write_jfif`)
/// and Adobe (libjpeg writes it for CMYK/YCCK): no EXIF, XMP or comments.
int pp_jpeg_encode(const unsigned char *pixels, int width, int height, int components,
                   int file_color_space, int quality, int progressive, int optimize_coding,
                   int chroma_420, int write_jfif, int arithmetic,
                   unsigned char **out, size_t *out_size, char message[200]);

void pp_jpeg_free(void *pointer);

#endif
