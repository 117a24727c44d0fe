#include "CJPEG.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
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

/* ---- The source manager: memory or a file descriptor, handed out in chunks. ---- */

#define PP_FILE_BLOCK 65536

typedef struct {
    struct jpeg_source_mgr pub;
    const pp_jpeg_input *input;
    size_t offset;            /* memory: next byte to hand out */
    unsigned char *block;     /* file: the block read last */
    size_t block_length, block_position;
    long long file_position;
    JOCTET fake_eoi[2];
} pp_source;

static void pp_init_source(j_decompress_ptr cinfo) { (void)cinfo; }
static void pp_term_source(j_decompress_ptr cinfo) { (void)cinfo; }

static boolean pp_fill_input_buffer(j_decompress_ptr cinfo) {
    pp_source *src = (pp_source *)cinfo->src;
    const pp_jpeg_input *in = src->input;
    size_t available = 0;
    const JOCTET *next = NULL;
    if (in->data) {
        if (src->offset < in->size) {
            available = in->size - src->offset;
            next = in->data + src->offset;
        }
    } else {
        if (src->block_position >= src->block_length) {
            ssize_t n;
            do {
                n = pread(in->fd, src->block, PP_FILE_BLOCK, (off_t)src->file_position);
            } while (n < 0 && errno == EINTR);
            src->block_length = n > 0 ? (size_t)n : 0;
            src->block_position = 0;
            if (n > 0) src->file_position += n;
        }
        available = src->block_length - src->block_position;
        next = src->block + src->block_position;
    }
    if (available == 0) {
        /* As libjpeg's own sources do: warn, and insert a fake EOI marker. */
        WARNMS(cinfo, JWRN_JPEG_EOF);
        src->fake_eoi[0] = (JOCTET)0xFF;
        src->fake_eoi[1] = (JOCTET)JPEG_EOI;
        src->pub.next_input_byte = src->fake_eoi;
        src->pub.bytes_in_buffer = 2;
        return TRUE;
    }
    if (in->chunk > 0 && available > in->chunk) available = in->chunk;
    src->pub.next_input_byte = next;
    src->pub.bytes_in_buffer = available;
    if (in->data) src->offset += available; else src->block_position += available;
    return TRUE;
}

static void pp_skip_input_data(j_decompress_ptr cinfo, long count) {
    struct jpeg_source_mgr *src = cinfo->src;
    if (count <= 0) return;
    while (count > (long)src->bytes_in_buffer) {
        count -= (long)src->bytes_in_buffer;
        (void)(*src->fill_input_buffer)(cinfo);
    }
    src->next_input_byte += (size_t)count;
    src->bytes_in_buffer -= (size_t)count;
}

/* Installs the source; the file block (if any) is malloc'd into *block for the caller to free. */
static int pp_install_source(j_decompress_ptr cinfo, pp_source *src, const pp_jpeg_input *input) {
    memset(src, 0, sizeof(*src));
    src->input = input;
    if (!input->data) {
        src->block = malloc(PP_FILE_BLOCK);
        if (!src->block) return 0;
    }
    src->pub.init_source = pp_init_source;
    src->pub.fill_input_buffer = pp_fill_input_buffer;
    src->pub.skip_input_data = pp_skip_input_data;
    src->pub.resync_to_restart = jpeg_resync_to_restart;
    src->pub.term_source = pp_term_source;
    src->pub.bytes_in_buffer = 0;
    src->pub.next_input_byte = NULL;
    cinfo->src = &src->pub;
    return 1;
}

/* The output colour space for a file's: grey stays grey, CMYK/YCCK come back as CMYK, the rest RGB. */
static void pp_choose_output(j_decompress_ptr cinfo, int scale_denom) {
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo->out_color_space = JCS_CMYK; break;
    default: cinfo->out_color_space = JCS_RGB; break;
    }
    cinfo->scale_num = 1;
    cinfo->scale_denom = (scale_denom == 2 || scale_denom == 4 || scale_denom == 8) ? scale_denom : 1;
    cinfo->dct_method = JDCT_ISLOW;
    /* Reduced decodes feed analysis, not output: plain chroma replication is enough there and
       saves about 2 % of the decode. Full-size decodes keep libjpeg's smooth upsampling. */
    if (cinfo->scale_denom > 1) cinfo->do_fancy_upsampling = FALSE;
    jpeg_calc_output_dimensions(cinfo);
}

/* libjpeg's working memory for a decode, from the headers: a multi-scan (progressive) file keeps
   every DCT coefficient of the image (as jdcoefct.c sizes its virtual arrays); all files keep a
   few rows of samples per component and of output. */
static unsigned long long pp_working_bytes(j_decompress_ptr cinfo) {
    unsigned long long total = 1u << 20;
    int multi = jpeg_has_multiple_scans(cinfo) || cinfo->buffered_image;
    for (int ci = 0; ci < cinfo->num_components; ci++) {
        jpeg_component_info *c = &cinfo->comp_info[ci];
        unsigned long long w = c->width_in_blocks, h = c->height_in_blocks;
        unsigned long long hs = c->h_samp_factor > 0 ? (unsigned long long)c->h_samp_factor : 1;
        unsigned long long vs = c->v_samp_factor > 0 ? (unsigned long long)c->v_samp_factor : 1;
        w = (w + hs - 1) / hs * hs;
        h = (h + vs - 1) / vs * vs;
        if (multi) total += w * h * DCTSIZE2 * sizeof(JCOEF);
        /* sample rows: a few iMCU rows per component */
        total += w * DCTSIZE * (unsigned long long)cinfo->max_v_samp_factor * DCTSIZE * 3;
    }
    total += (unsigned long long)cinfo->output_width * (unsigned long long)cinfo->out_color_components * 16;
    return total;
}

int pp_jpeg_inspect(const pp_jpeg_input *input, int scale_denom, pp_jpeg_info *info) {
    struct jpeg_decompress_struct cinfo;
    pp_error_mgr err;
    pp_source src;
    memset(info, 0, sizeof(*info));
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&src, 0, sizeof(src));
    cinfo.err = &err.base;
    pp_install_errors(&err);
    if (setjmp(err.escape)) {
        (*cinfo.err->format_message)((j_common_ptr)&cinfo, info->message);
        info->code = PP_JPEG_ERROR;
        free(src.block);
        jpeg_destroy_decompress(&cinfo);
        return info->code;
    }
    jpeg_create_decompress(&cinfo);
    if (!pp_install_source(&cinfo, &src, input)) {
        snprintf(info->message, sizeof(info->message), "out of memory for a read buffer");
        info->code = PP_JPEG_NO_MEMORY;
        jpeg_destroy_decompress(&cinfo);
        return info->code;
    }
    jpeg_read_header(&cinfo, TRUE);
    pp_choose_output(&cinfo, scale_denom);
    info->width = (int)cinfo.output_width;
    info->height = (int)cinfo.output_height;
    info->components = cinfo.output_components;
    info->file_color_space = pp_space(cinfo.jpeg_color_space);
    info->saw_adobe_marker = cinfo.saw_Adobe_marker;
    info->adobe_transform = cinfo.Adobe_transform;
    info->multiple_scans = jpeg_has_multiple_scans(&cinfo) ? 1 : 0;
    info->working_bytes = pp_working_bytes(&cinfo);
    info->code = PP_JPEG_OK;
    free(src.block);
    jpeg_destroy_decompress(&cinfo);
    return PP_JPEG_OK;
}

int pp_jpeg_decode_into(const pp_jpeg_input *input, int scale_denom,
                        int region_x, int region_y, int region_width, int region_height,
                        unsigned long long max_pixels, int max_scans, unsigned long long max_memory,
                        unsigned char *out, size_t capacity, pp_jpeg_result *result) {
    struct jpeg_decompress_struct cinfo;
    pp_error_mgr err;
    pp_progress_mgr progress;
    pp_source src;
    JSAMPROW row[1];
    unsigned char *volatile span = NULL; /* one widened row, when the region is narrower */

    memset(result, 0, sizeof(*result));
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&src, 0, sizeof(src));
    cinfo.err = &err.base;
    pp_install_errors(&err);

    int jumped = setjmp(err.escape);
    if (jumped) {
        if (jumped == 2) {
            snprintf(result->message, sizeof(result->message),
                     "more than %d progressive scans (a malformed or hostile file)", max_scans);
            result->code = PP_JPEG_ERROR;
        } else if (cinfo.err->msg_code == JERR_NO_BACKING_STORE || cinfo.err->msg_code == JERR_OUT_OF_MEMORY) {
            snprintf(result->message, sizeof(result->message),
                     "decoding needs more working memory than the limit of %llu MiB", max_memory >> 20);
            result->code = PP_JPEG_OVER_MEMORY;
        } else {
            (*cinfo.err->format_message)((j_common_ptr)&cinfo, result->message);
            result->code = PP_JPEG_ERROR;
        }
        result->warning_count = err.warning_count;
        result->damaged = err.damaged;
        result->truncated = err.truncated;
        memcpy(result->first_warning, err.first_warning, sizeof(result->first_warning));
        free(span);
        free(src.block);
        jpeg_destroy_decompress(&cinfo);
        return result->code;
    }

    jpeg_create_decompress(&cinfo);
    if (max_memory > 0) cinfo.mem->max_memory_to_use = (long)(max_memory > (unsigned long long)0x7FFFFFFF0000LL ? 0x7FFFFFFF0000LL : max_memory);
    progress.base.progress_monitor = pp_progress;
    progress.max_scans = max_scans > 0 ? max_scans : 1000;
    cinfo.progress = &progress.base;
    if (!pp_install_source(&cinfo, &src, input)) {
        snprintf(result->message, sizeof(result->message), "out of memory for a read buffer");
        result->code = PP_JPEG_NO_MEMORY;
        jpeg_destroy_decompress(&cinfo);
        return result->code;
    }
    jpeg_read_header(&cinfo, TRUE);

    result->file_color_space = pp_space(cinfo.jpeg_color_space);
    result->saw_adobe_marker = cinfo.saw_Adobe_marker;
    result->adobe_transform = cinfo.Adobe_transform;
    pp_choose_output(&cinfo, scale_denom);

    unsigned long long count = (unsigned long long)cinfo.output_width * cinfo.output_height;
    if (max_pixels > 0 && count > max_pixels) {
        snprintf(result->message, sizeof(result->message),
                 "%u x %u pixels exceeds the limit of %llu pixels", cinfo.output_width,
                 cinfo.output_height, max_pixels);
        result->code = PP_JPEG_TOO_LARGE;
        free(src.block);
        jpeg_destroy_decompress(&cinfo);
        return result->code;
    }
    unsigned long long working = pp_working_bytes(&cinfo);
    if (max_memory > 0 && working > max_memory) {
        snprintf(result->message, sizeof(result->message),
                 "decoding this %s JPEG needs about %llu MiB of working memory, more than the limit of %llu MiB",
                 jpeg_has_multiple_scans(&cinfo) ? "progressive" : "baseline", (working + (1u << 20) - 1) >> 20,
                 max_memory >> 20);
        result->code = PP_JPEG_OVER_MEMORY;
        free(src.block);
        jpeg_destroy_decompress(&cinfo);
        return result->code;
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
            snprintf(result->message, sizeof(result->message), "the region lies outside the %u x %u image",
                     full_width, full_height);
            result->code = PP_JPEG_ERROR;
            free(src.block);
            jpeg_destroy_decompress(&cinfo);
            return result->code;
        }
        rx = (JDIMENSION)x0; ry = (JDIMENSION)y0; rw = (JDIMENSION)(x1 - x0); rh = (JDIMENSION)(y1 - y0);
    }
    int components = cinfo.out_color_components;
    size_t stride = (size_t)rw * (size_t)components;
    if (!out || capacity < stride * rh) {
        snprintf(result->message, sizeof(result->message), "the output buffer holds %zu bytes, %zu needed",
                 capacity, stride * rh);
        result->code = PP_JPEG_ERROR;
        free(src.block);
        jpeg_destroy_decompress(&cinfo);
        return result->code;
    }

    jpeg_start_decompress(&cinfo);
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
            snprintf(result->message, sizeof(result->message), "out of memory for one row");
            result->code = PP_JPEG_NO_MEMORY;
            free(src.block);
            jpeg_destroy_decompress(&cinfo);
            return result->code;
        }
    }
    if (ry > 0) jpeg_skip_scanlines(&cinfo, ry);
    for (JDIMENSION y = 0; y < rh && cinfo.output_scanline < full_height; y++) {
        unsigned char *target = out + stride * y;
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

    result->width = (int)rw;
    result->height = (int)rh;
    result->components = components;
    result->warning_count = err.warning_count;
    result->damaged = err.damaged;
    result->truncated = err.truncated;
    memcpy(result->first_warning, err.first_warning, sizeof(result->first_warning));
    result->code = PP_JPEG_OK;
    free(src.block);
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
