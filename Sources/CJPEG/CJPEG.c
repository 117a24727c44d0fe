#include "CJPEG.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

/* libjpeg reports fatal errors through error_exit, which by default prints and calls exit().
   Ours formats the message and longjmps back to the one function that called setjmp. */
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    int warning_count;
    int damaged;
    int truncated;
    char first_warning[JMSG_LENGTH_MAX];
} pp_error_mgr;

static void pp_error_exit(j_common_ptr cinfo) {
    pp_error_mgr *err = (pp_error_mgr *)cinfo->err;
    longjmp(err->escape, 1);
}

/* Level -1 is a warning (corrupt data); levels >= 0 are trace messages, which we drop. */
static void pp_emit_message(j_common_ptr cinfo, int level) {
    pp_error_mgr *err = (pp_error_mgr *)cinfo->err;
    if (level >= 0) return;
    if (err->warning_count == 0) {
        (*cinfo->err->format_message)(cinfo, err->first_warning);
    }
    err->warning_count++;
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER) err->truncated = 1;
    /* A few stray bytes before a marker are a known camera quirk; many mean the entropy-coded
       data did not line up with the image (corruption that decoded as garbage). */
    if (code != JWRN_EXTRANEOUS_DATA || cinfo->err->msg_parm.i[0] > 8) err->damaged = 1;
}

static void pp_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void pp_install_errors(pp_error_mgr *err) {
    jpeg_std_error(&err->base);
    err->base.error_exit = pp_error_exit;
    err->base.emit_message = pp_emit_message;
    err->base.output_message = pp_output_message;
    err->warning_count = 0;
    err->damaged = 0;
    err->truncated = 0;
    err->first_warning[0] = 0;
}

typedef struct {
    struct jpeg_progress_mgr base;
    int max_scans;
} pp_progress_mgr;

/* Progressive files can declare thousands of tiny scans, each a full pass over the
   coefficients: stop such files instead of spending minutes on them. */
static void pp_progress(j_common_ptr cinfo) {
    pp_progress_mgr *progress = (pp_progress_mgr *)cinfo->progress;
    if (cinfo->is_decompressor) {
        j_decompress_ptr d = (j_decompress_ptr)cinfo;
        if (d->input_scan_number > progress->max_scans) {
            cinfo->err->msg_code = JERR_NOT_COMPILED; /* replaced below by our own text */
            strcpy(cinfo->err->msg_parm.s, "");
            longjmp(((pp_error_mgr *)cinfo->err)->escape, 2);
        }
    }
}

static int pp_space(J_COLOR_SPACE space) {
    switch (space) {
    case JCS_GRAYSCALE: return PP_CS_GRAYSCALE;
    case JCS_RGB: return PP_CS_RGB;
    case JCS_YCbCr: return PP_CS_YCBCR;
    case JCS_CMYK: return PP_CS_CMYK;
    case JCS_YCCK: return PP_CS_YCCK;
    default: return PP_CS_UNKNOWN;
    }
}

int pp_jpeg_decode(const unsigned char *data, size_t size, int scale_denom,
                   unsigned long long max_pixels, int max_scans, pp_jpeg_decoded *out) {
    return pp_jpeg_decode_region(data, size, scale_denom, 0, 0, -1, -1, max_pixels, max_scans, out);
}

int pp_jpeg_decode_region(const unsigned char *data, size_t size, int scale_denom,
                          int region_x, int region_y, int region_width, int region_height,
                          unsigned long long max_pixels, int max_scans, pp_jpeg_decoded *out) {
    struct jpeg_decompress_struct cinfo;
    pp_error_mgr err;
    pp_progress_mgr progress;
    JSAMPROW row[1];
    unsigned char *volatile span = NULL; /* one widened row, when the region is narrower */

    memset(out, 0, sizeof(*out));
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = &err.base;
    pp_install_errors(&err);

    int jumped = setjmp(err.escape);
    if (jumped) {
        if (jumped == 2) {
            snprintf(out->message, sizeof(out->message),
                     "more than %d progressive scans (a malformed or hostile file)", max_scans);
        } else {
            (*cinfo.err->format_message)((j_common_ptr)&cinfo, out->message);
        }
        out->code = PP_JPEG_ERROR;
        out->warning_count = err.warning_count;
        out->damaged = err.damaged;
        out->truncated = err.truncated;
        memcpy(out->first_warning, err.first_warning, sizeof(out->first_warning));
        free(out->pixels);
        out->pixels = NULL;
        free(span);
        jpeg_destroy_decompress(&cinfo);
        return out->code;
    }

    jpeg_create_decompress(&cinfo);
    progress.base.progress_monitor = pp_progress;
    progress.max_scans = max_scans > 0 ? max_scans : 1000;
    cinfo.progress = &progress.base;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    out->file_color_space = pp_space(cinfo.jpeg_color_space);
    out->saw_adobe_marker = cinfo.saw_Adobe_marker;
    out->adobe_transform = cinfo.Adobe_transform;

    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo.out_color_space = JCS_CMYK; break;
    default: cinfo.out_color_space = JCS_RGB; break;
    }
    cinfo.scale_num = 1;
    cinfo.scale_denom = (scale_denom == 2 || scale_denom == 4 || scale_denom == 8) ? scale_denom : 1;
    cinfo.dct_method = JDCT_ISLOW;
    /* Reduced decodes feed analysis, not output: plain chroma replication is enough there and
       saves about 2 % of the decode. Full-size decodes keep libjpeg's smooth upsampling. */
    if (cinfo.scale_denom > 1) cinfo.do_fancy_upsampling = FALSE;

    jpeg_calc_output_dimensions(&cinfo);
    unsigned long long count = (unsigned long long)cinfo.output_width * cinfo.output_height;
    if (max_pixels > 0 && count > max_pixels) {
        snprintf(out->message, sizeof(out->message),
                 "%u x %u pixels exceeds the limit of %llu pixels", cinfo.output_width,
                 cinfo.output_height, max_pixels);
        out->code = PP_JPEG_TOO_LARGE;
        jpeg_destroy_decompress(&cinfo);
        return out->code;
    }

    /* The whole image, or the requested rectangle clamped to it. */
    JDIMENSION full_width = cinfo.output_width, full_height = cinfo.output_height;
    JDIMENSION rx = 0, ry = 0, rw = full_width, rh = full_height;
    if (region_width >= 0 && region_height >= 0) {
        long x0 = region_x < 0 ? 0 : region_x, y0 = region_y < 0 ? 0 : region_y;
        long x1 = (long)region_x + region_width, y1 = (long)region_y + region_height;
        if (x1 > (long)full_width) x1 = full_width;
        if (y1 > (long)full_height) y1 = full_height;
        if (x1 <= x0 || y1 <= y0) {
            snprintf(out->message, sizeof(out->message), "the region lies outside the %u x %u image",
                     full_width, full_height);
            out->code = PP_JPEG_ERROR;
            jpeg_destroy_decompress(&cinfo);
            return out->code;
        }
        rx = (JDIMENSION)x0; ry = (JDIMENSION)y0; rw = (JDIMENSION)(x1 - x0); rh = (JDIMENSION)(y1 - y0);
    }

    jpeg_start_decompress(&cinfo);
    int components = cinfo.output_components;
    /* Only the columns of the region go through the inverse DCT and colour conversion
       (libjpeg-turbo widens the span to whole iMCUs), rows above it are skipped without them,
       and decoding stops after its last row. */
    JDIMENSION span_x = 0, span_width = full_width;
    if (rw < full_width) {
        span_x = rx;
        span_width = rw;
        jpeg_crop_scanline(&cinfo, &span_x, &span_width);
    }
    if (span_width != rw) {
        span = malloc((size_t)span_width * (size_t)components);
        if (!span) {
            snprintf(out->message, sizeof(out->message), "out of memory for one row");
            out->code = PP_JPEG_NO_MEMORY;
            jpeg_destroy_decompress(&cinfo);
            return out->code;
        }
    }
    size_t stride = (size_t)rw * (size_t)components;
    out->pixel_bytes = stride * rh;
    out->pixels = malloc(out->pixel_bytes > 0 ? out->pixel_bytes : 1);
    if (!out->pixels) {
        snprintf(out->message, sizeof(out->message), "out of memory for %zu bytes", out->pixel_bytes);
        out->code = PP_JPEG_NO_MEMORY;
        free(span);
        span = NULL;
        jpeg_destroy_decompress(&cinfo);
        return out->code;
    }
    if (ry > 0) jpeg_skip_scanlines(&cinfo, ry);
    for (JDIMENSION y = 0; y < rh && cinfo.output_scanline < full_height; y++) {
        unsigned char *target = out->pixels + stride * y;
        row[0] = span ? span : target;
        jpeg_read_scanlines(&cinfo, row, 1);
        if (span) memcpy(target, span + (size_t)(rx - span_x) * components, stride);
    }
    free(span);
    span = NULL;
    if (cinfo.output_scanline < cinfo.output_height) {
        jpeg_abort_decompress(&cinfo);
    } else {
        jpeg_finish_decompress(&cinfo);
    }

    out->width = (int)rw;
    out->height = (int)rh;
    out->components = cinfo.output_components;
    out->warning_count = err.warning_count;
    out->damaged = err.damaged;
    out->truncated = err.truncated;
    memcpy(out->first_warning, err.first_warning, sizeof(out->first_warning));
    out->code = PP_JPEG_OK;
    jpeg_destroy_decompress(&cinfo);
    return PP_JPEG_OK;
}

int pp_jpeg_encode(const unsigned char *pixels, int width, int height, int components,
                   int file_color_space, int quality, int progressive, int optimize_coding,
                   int chroma_420, int write_jfif, int arithmetic,
                   unsigned char **out, size_t *out_size, char message[200]) {
    struct jpeg_compress_struct cinfo;
    pp_error_mgr err;
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;
    JSAMPROW row[1];

    *out = NULL;
    *out_size = 0;
    message[0] = 0;
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = &err.base;
    pp_install_errors(&err);
    if (setjmp(err.escape)) {
        (*cinfo.err->format_message)((j_common_ptr)&cinfo, message);
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return PP_JPEG_ERROR;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buffer, &buffer_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    switch (file_color_space) {
    case PP_CS_GRAYSCALE: jpeg_set_colorspace(&cinfo, JCS_GRAYSCALE); break;
    case PP_CS_RGB: jpeg_set_colorspace(&cinfo, JCS_RGB); break;
    case PP_CS_CMYK: jpeg_set_colorspace(&cinfo, JCS_CMYK); break;
    case PP_CS_YCCK: jpeg_set_colorspace(&cinfo, JCS_YCCK); break;
    default: break; /* jpeg_set_defaults chose YCbCr for RGB, grey for grey */
    }
    cinfo.write_JFIF_header = write_jfif ? TRUE : FALSE;
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (cinfo.jpeg_color_space == JCS_YCbCr || cinfo.jpeg_color_space == JCS_YCCK) {
        int h = chroma_420 ? 2 : 1;
        cinfo.comp_info[0].h_samp_factor = h;
        cinfo.comp_info[0].v_samp_factor = h;
        if (cinfo.jpeg_color_space == JCS_YCCK) {
            cinfo.comp_info[3].h_samp_factor = h;
            cinfo.comp_info[3].v_samp_factor = h;
        }
    }
    cinfo.optimize_coding = (optimize_coding && !arithmetic) ? TRUE : FALSE;
    cinfo.arith_code = arithmetic ? TRUE : FALSE;
    cinfo.dct_method = JDCT_ISLOW;
    if (progressive) jpeg_simple_progression(&cinfo);

    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (cinfo.next_scanline < cinfo.image_height) {
        row[0] = (JSAMPROW)(pixels + stride * cinfo.next_scanline);
        jpeg_write_scanlines(&cinfo, row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = buffer_size;
    return PP_JPEG_OK;
}

void pp_jpeg_free(void *pointer) { free(pointer); }
