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

/* Every DCT coefficient of the image, as jdcoefct.c sizes its whole-image arrays. */
static unsigned long long pp_coefficient_bytes(j_decompress_ptr cinfo) {
    unsigned long long total = 0;
    for (int ci = 0; ci < cinfo->num_components; ci++) {
        jpeg_component_info *c = &cinfo->comp_info[ci];
        unsigned long long hs = c->h_samp_factor > 0 ? (unsigned long long)c->h_samp_factor : 1;
        unsigned long long vs = c->v_samp_factor > 0 ? (unsigned long long)c->v_samp_factor : 1;
        unsigned long long w = ((unsigned long long)c->width_in_blocks + hs - 1) / hs * hs;
        unsigned long long h = ((unsigned long long)c->height_in_blocks + vs - 1) / vs * vs;
        total += w * h * DCTSIZE2 * sizeof(JCOEF);
    }
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
    info->coefficient_bytes = pp_coefficient_bytes(&cinfo);
    info->imcu_width = cinfo.max_h_samp_factor * DCTSIZE;
    info->imcu_height = cinfo.max_v_samp_factor * DCTSIZE;
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

/* ---- Lossless rewriting: coefficients in, coefficients out. ---- */

/* How an EXIF orientation is undone on the block grid: the output is the stored image,
   transposed first when `transpose`, then mirrored left-right (`flip_x`) and top-bottom
   (`flip_y`). Mirroring a DCT block negates its odd-numbered horizontal (or vertical)
   frequencies; transposing it transposes its coefficients and the quantisation table. */
typedef struct { int transpose, flip_x, flip_y; } pp_transform;

static pp_transform pp_transform_for(int orientation) {
    switch (orientation) {
    case 2: return (pp_transform){0, 1, 0};
    case 3: return (pp_transform){0, 1, 1};
    case 4: return (pp_transform){0, 0, 1};
    case 5: return (pp_transform){1, 0, 0};
    case 6: return (pp_transform){1, 1, 0};
    case 7: return (pp_transform){1, 1, 1};
    case 8: return (pp_transform){1, 0, 1};
    default: return (pp_transform){0, 0, 0};
    }
}

/* Where each output coefficient comes from and how it changes: the stored coefficient at `from`
   (transposed or not), negated when mirrored, times `multiplier` / `divisor` when requantised
   (divisor 1: unchanged). */
typedef struct { int from, negate, multiplier, divisor; double ratio; } pp_coefficient_map;

struct pp_jpeg_transcoder {
    struct jpeg_decompress_struct src;
    pp_error_mgr src_err;
    pp_progress_mgr progress;
    pp_source source;
    jvirt_barray_ptr *arrays;
    pp_transform transform;
    int components;
    /* Per component: the stored block rows (stable: libjpeg-turbo keeps whole-image arrays in
       memory), the stored grid in blocks, and the output's scratch rows handed to the writer. */
    JBLOCKROW *rows[MAX_COMPONENTS];
    JDIMENSION src_w[MAX_COMPONENTS], src_h[MAX_COMPONENTS];
    JBLOCKROW scratch_rows[MAX_COMPONENTS][MAX_SAMP_FACTOR];
    JBLOCK *scratch[MAX_COMPONENTS];
    /* Per component, for the write under way: output quantisation divisors and the stored ones
       at the same (output) position. */
    UINT16 q_out[MAX_COMPONENTS][DCTSIZE2], q_in[MAX_COMPONENTS][DCTSIZE2];
    pp_coefficient_map map[MAX_COMPONENTS][DCTSIZE2];
    /* A sample write takes every `row_step`-th iMCU row of the output (1: all of them), each
       `out_rows_per_imcu[ci]` block rows tall. */
    int row_step;
    JDIMENSION out_rows_per_imcu[MAX_COMPONENTS];
    /* The turned image's grid in blocks, and where the written (cropped) part starts in it. */
    JDIMENSION grid_w[MAX_COMPONENTS], grid_h[MAX_COMPONENTS], crop_bx[MAX_COMPONENTS], crop_by[MAX_COMPONENTS];
    int identity[MAX_COMPONENTS];
    JDIMENSION out_w[MAX_COMPONENTS], out_h[MAX_COMPONENTS];
};

/* libjpeg's natural-order index of (row v, column u). */
#define PP_AT(v, u) ((v) * DCTSIZE + (u))

/* The writer's view of the coefficient arrays: instead of reading stored rows, it is handed
   rows of output blocks built on request from the stored ones (turned, mirrored, requantised),
   so the turned image never exists whole. */
static JBLOCKARRAY pp_transcode_access(j_common_ptr cinfo, jvirt_barray_ptr ptr, JDIMENSION start_row,
                                       JDIMENSION num_rows, boolean writable) {
    (void)writable;
    pp_jpeg_transcoder *t = (pp_jpeg_transcoder *)cinfo->client_data;
    int ci = 0;
    while (ci < t->components && t->arrays[ci] != ptr) ci++;
    if (ci == t->components || num_rows > MAX_SAMP_FACTOR) ERREXIT(cinfo, JERR_BAD_VIRTUAL_ACCESS);
    pp_transform tr = t->transform;
    JDIMENSION W = t->out_w[ci], H = t->out_h[ci];
    JDIMENSION GW = t->grid_w[ci], GH = t->grid_h[ci], OX = t->crop_bx[ci], OY = t->crop_by[ci];
    int identity = t->identity[ci];
    int from[DCTSIZE2], sign[DCTSIZE2], straight = 1;
    double ratio[DCTSIZE2];
    for (int k = 0; k < DCTSIZE2; k++) {
        from[k] = t->map[ci][k].from;
        sign[k] = t->map[ci][k].negate ? -1 : 1;
        ratio[k] = t->map[ci][k].divisor > 1 ? t->map[ci][k].ratio : 1.0;
        if (from[k] != k) straight = 0;
    }
    for (JDIMENSION r = 0; r < num_rows; r++) {
        JDIMENSION by = start_row + r;
        JBLOCKROW out = t->scratch[ci] + (size_t)r * W;
        t->scratch_rows[ci][r] = out;
        if (by >= H) continue;
        if (t->row_step > 1) {
            JDIMENSION n = t->out_rows_per_imcu[ci];
            by = (by / n) * (JDIMENSION)t->row_step * n + by % n;
        }
        by += OY;
        JDIMENSION ty = tr.flip_y ? GH - 1 - by : by;
        if (identity && !tr.transpose && !tr.flip_x && OX == 0) {
            /* Nothing changes in this row: hand out the stored blocks. */
            t->scratch_rows[ci][r] = t->rows[ci][ty];
            continue;
        }
        for (JDIMENSION bx = 0; bx < W; bx++) {
            JDIMENSION tx = tr.flip_x ? GW - 1 - (bx + OX) : bx + OX;
            JDIMENSION sx = tr.transpose ? ty : tx, sy = tr.transpose ? tx : ty;
            const JCOEF *in = t->rows[ci][sy][sx];
            JCOEF *o = out[bx];
            /* Branch-free, so the compiler can vectorise it: most coefficients are zero, in no
               predictable pattern. The sign is applied after rounding the magnitude. */
            if (straight) {
                for (int k = 0; k < DCTSIZE2; k++) {
                    int c = in[k] * sign[k];
                    int a = c < 0 ? -c : c;
                    int q = (int)(a * ratio[k] + 0.5);
                    o[k] = (JCOEF)(c < 0 ? -q : q);
                }
            } else {
                for (int k = 0; k < DCTSIZE2; k++) {
                    int c = in[from[k]] * sign[k];
                    int a = c < 0 ? -c : c;
                    int q = (int)(a * ratio[k] + 0.5);
                    o[k] = (JCOEF)(c < 0 ? -q : q);
                }
            }
        }
    }
    return t->scratch_rows[ci];
}

pp_jpeg_transcoder *pp_jpeg_transcoder_open(const pp_jpeg_input *input, int orientation, int max_scans,
                                            unsigned long long max_memory, pp_jpeg_result *result) {
    memset(result, 0, sizeof(*result));
    pp_jpeg_transcoder *t = calloc(1, sizeof(pp_jpeg_transcoder));
    if (!t) {
        snprintf(result->message, sizeof(result->message), "out of memory");
        result->code = PP_JPEG_NO_MEMORY;
        return NULL;
    }
    t->src.err = &t->src_err.base;
    pp_install_errors(&t->src_err);
    if (setjmp(t->src_err.escape)) {
        if (t->src.err->msg_code == JERR_NO_BACKING_STORE || t->src.err->msg_code == JERR_OUT_OF_MEMORY) {
            snprintf(result->message, sizeof(result->message),
                     "the coefficients need more memory than the limit of %llu MiB", max_memory >> 20);
            result->code = PP_JPEG_OVER_MEMORY;
        } else if (result->code == 0) {
            (*t->src.err->format_message)((j_common_ptr)&t->src, result->message);
            result->code = PP_JPEG_ERROR;
        }
        result->warning_count = t->src_err.warning_count;
        result->damaged = t->src_err.damaged;
        result->truncated = t->src_err.truncated;
        memcpy(result->first_warning, t->src_err.first_warning, sizeof(result->first_warning));
        pp_jpeg_transcoder_close(t);
        return NULL;
    }
    jpeg_create_decompress(&t->src);
    if (max_memory > 0) t->src.mem->max_memory_to_use = (long)(max_memory > (unsigned long long)0x7FFFFFFF0000LL ? 0x7FFFFFFF0000LL : max_memory);
    t->progress.base.progress_monitor = pp_progress;
    t->progress.max_scans = max_scans > 0 ? max_scans : 1000;
    t->src.progress = &t->progress.base;
    if (!pp_install_source(&t->src, &t->source, input)) {
        snprintf(result->message, sizeof(result->message), "out of memory for a read buffer");
        result->code = PP_JPEG_NO_MEMORY;
        longjmp(t->src_err.escape, 1);
    }
    jpeg_read_header(&t->src, TRUE);
    result->file_color_space = pp_space(t->src.jpeg_color_space);
    result->saw_adobe_marker = t->src.saw_Adobe_marker;
    result->adobe_transform = t->src.Adobe_transform;
    t->transform = pp_transform_for(orientation);
    t->components = t->src.num_components;
    /* A mirrored axis must hold whole MCUs, or its partial edge blocks would land inside the image. */
    JDIMENSION mcu_w = (JDIMENSION)t->src.max_h_samp_factor * DCTSIZE, mcu_h = (JDIMENSION)t->src.max_v_samp_factor * DCTSIZE;
    JDIMENSION mirrored_x = t->transform.transpose ? t->src.image_height : t->src.image_width;
    JDIMENSION mirrored_y = t->transform.transpose ? t->src.image_width : t->src.image_height;
    JDIMENSION unit_x = t->transform.transpose ? mcu_h : mcu_w, unit_y = t->transform.transpose ? mcu_w : mcu_h;
    if ((t->transform.flip_x && mirrored_x % unit_x) || (t->transform.flip_y && mirrored_y % unit_y)) {
        snprintf(result->message, sizeof(result->message), "%u x %u is not a whole number of %u x %u MCUs along a mirrored edge",
                 t->src.image_width, t->src.image_height, mcu_w, mcu_h);
        result->code = PP_JPEG_IMPERFECT;
        longjmp(t->src_err.escape, 1);
    }
    unsigned long long coefficients = pp_coefficient_bytes(&t->src);
    if (max_memory > 0 && coefficients > max_memory) {
        snprintf(result->message, sizeof(result->message),
                 "its coefficients need about %llu MiB, more than the limit of %llu MiB",
                 (coefficients + (1u << 20) - 1) >> 20, max_memory >> 20);
        result->code = PP_JPEG_OVER_MEMORY;
        longjmp(t->src_err.escape, 1);
    }
    t->arrays = jpeg_read_coefficients(&t->src);
    for (int ci = 0; ci < t->components; ci++) {
        jpeg_component_info *c = &t->src.comp_info[ci];
        t->src_w[ci] = c->width_in_blocks;
        t->src_h[ci] = c->height_in_blocks;
        t->rows[ci] = malloc(sizeof(JBLOCKROW) * (c->height_in_blocks ? c->height_in_blocks : 1));
        JDIMENSION out_w = t->transform.transpose ? c->height_in_blocks : c->width_in_blocks;
        /* Whole MCUs: the writer may ask for a padded row. */
        JDIMENSION padded = out_w + MAX_SAMP_FACTOR;
        t->scratch[ci] = malloc(sizeof(JBLOCK) * (size_t)padded * MAX_SAMP_FACTOR);
        if (!t->rows[ci] || !t->scratch[ci]) {
            snprintf(result->message, sizeof(result->message), "out of memory");
            result->code = PP_JPEG_NO_MEMORY;
            longjmp(t->src_err.escape, 1);
        }
        memset(t->scratch[ci], 0, sizeof(JBLOCK) * (size_t)padded * MAX_SAMP_FACTOR);
        for (JDIMENSION y = 0; y < c->height_in_blocks; y++) {
            t->rows[ci][y] = (*t->src.mem->access_virt_barray)((j_common_ptr)&t->src, t->arrays[ci], y, 1, FALSE)[0];
        }
    }
    result->width = (int)(t->transform.transpose ? t->src.image_height : t->src.image_width);
    result->height = (int)(t->transform.transpose ? t->src.image_width : t->src.image_height);
    result->components = t->components;
    result->warning_count = t->src_err.warning_count;
    result->damaged = t->src_err.damaged;
    result->truncated = t->src_err.truncated;
    memcpy(result->first_warning, t->src_err.first_warning, sizeof(result->first_warning));
    result->code = PP_JPEG_OK;
    return t;
}

int pp_jpeg_transcoder_write(pp_jpeg_transcoder *t, const unsigned short *tables, int crop_x, int crop_y, int crop_width,
                             int crop_height, int sample_step, const unsigned char *markers,
                             size_t markers_size, unsigned char **out, size_t *out_size, char message[200]) {
    struct jpeg_compress_struct dst;
    pp_error_mgr err;
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;
    *out = NULL;
    *out_size = 0;
    message[0] = 0;
    memset(&dst, 0, sizeof(dst));
    dst.err = &err.base;
    pp_install_errors(&err);
    if (setjmp(err.escape)) {
        (*dst.err->format_message)((j_common_ptr)&dst, message);
        jpeg_destroy_compress(&dst);
        free(buffer);
        return PP_JPEG_ERROR;
    }
    jpeg_create_compress(&dst);
    jpeg_mem_dest(&dst, (unsigned char **)&buffer, &buffer_size);
    jpeg_copy_critical_parameters(&t->src, &dst);
    pp_transform tr = t->transform;
    if (tr.transpose) {
        dst.image_width = t->src.image_height;
        dst.image_height = t->src.image_width;
        for (int ci = 0; ci < dst.num_components; ci++) {
            int h = dst.comp_info[ci].h_samp_factor;
            dst.comp_info[ci].h_samp_factor = dst.comp_info[ci].v_samp_factor;
            dst.comp_info[ci].v_samp_factor = h;
        }
    }
    /* Each component's output table: its stored table (transposed with the blocks), raised to
       the given table (slot 0 luminance, else chrominance) where that is coarser. Components
       sharing a slot share a stored table. */
    for (int ci = 0; ci < dst.num_components; ci++) {
        const JQUANT_TBL *stored = t->src.comp_info[ci].quant_table;
        if (!stored) ERREXIT(&dst, JERR_NO_QUANT_TABLE);
        int slot = dst.comp_info[ci].quant_tbl_no;
        for (int v = 0; v < DCTSIZE; v++) {
            for (int u = 0; u < DCTSIZE; u++) {
                UINT16 q = tr.transpose ? stored->quantval[PP_AT(u, v)] : stored->quantval[PP_AT(v, u)];
                t->q_in[ci][PP_AT(v, u)] = q;
                if (tables) {
                    UINT16 s = tables[(slot == 0 ? 0 : DCTSIZE2) + PP_AT(v, u)];
                    if (s > 255) s = 255;
                    if (s > q) q = s;
                }
                t->q_out[ci][PP_AT(v, u)] = q;
            }
        }
        if (!dst.quant_tbl_ptrs[slot]) dst.quant_tbl_ptrs[slot] = jpeg_alloc_quant_table((j_common_ptr)&dst);
        memcpy(dst.quant_tbl_ptrs[slot]->quantval, t->q_out[ci], sizeof(t->q_out[ci]));
        t->identity[ci] = 1;
        for (int v = 0; v < DCTSIZE; v++) {
            for (int u = 0; u < DCTSIZE; u++) {
                int k = PP_AT(v, u);
                pp_coefficient_map *m = &t->map[ci][k];
                m->from = tr.transpose ? PP_AT(u, v) : k;
                m->negate = (tr.flip_x && (u & 1)) != (tr.flip_y && (v & 1));
                m->multiplier = t->q_in[ci][k];
                m->divisor = t->q_out[ci][k] == t->q_in[ci][k] ? 1 : t->q_out[ci][k];
                /* Exact halves stay exact: (2c·stored + output) / (2·output) in binary is not,
                   so nudge by a tenth of the smallest step (ratios are at most 255 / 1). */
                m->ratio = (double)m->multiplier / (double)m->divisor + 1e-9;
                if (m->from != k || m->negate || m->divisor != 1) t->identity[ci] = 0;
            }
        }
        t->grid_w[ci] = t->out_w[ci] = tr.transpose ? t->src_h[ci] : t->src_w[ci];
        t->grid_h[ci] = t->out_h[ci] = tr.transpose ? t->src_w[ci] : t->src_h[ci];
        t->crop_bx[ci] = t->crop_by[ci] = 0;
    }
    /* A crop of the turned image: its corner on the MCU grid, so every block is whole. */
    if (crop_width > 0 && crop_height > 0) {
        int max_h = 1, max_v = 1;
        for (int ci = 0; ci < dst.num_components; ci++) {
            if (dst.comp_info[ci].h_samp_factor > max_h) max_h = dst.comp_info[ci].h_samp_factor;
            if (dst.comp_info[ci].v_samp_factor > max_v) max_v = dst.comp_info[ci].v_samp_factor;
        }
        if (crop_x < 0 || crop_y < 0 || crop_x % (max_h * DCTSIZE) || crop_y % (max_v * DCTSIZE)
            || (JDIMENSION)crop_x + (JDIMENSION)crop_width > dst.image_width
            || (JDIMENSION)crop_y + (JDIMENSION)crop_height > dst.image_height) {
            snprintf(message, 200, "the crop %d x %d at (%d, %d) is not on the %d x %d MCU grid inside the %u x %u image",
                     crop_width, crop_height, crop_x, crop_y, max_h * DCTSIZE, max_v * DCTSIZE, dst.image_width, dst.image_height);
            jpeg_destroy_compress(&dst);
            free(buffer);  /* jpeg_mem_dest allocated it */
            return PP_JPEG_ERROR;
        }
        dst.image_width = (JDIMENSION)crop_width;
        dst.image_height = (JDIMENSION)crop_height;
        for (int ci = 0; ci < dst.num_components; ci++) {
            int h = dst.comp_info[ci].h_samp_factor, v = dst.comp_info[ci].v_samp_factor;
            t->crop_bx[ci] = (JDIMENSION)(crop_x / (max_h * DCTSIZE) * h);
            t->crop_by[ci] = (JDIMENSION)(crop_y / (max_v * DCTSIZE) * v);
            /* As jdinput.c sizes a component: ceil(ceil(size * samp / max) / 8). */
            JDIMENSION cw = (JDIMENSION)(((long)crop_width * h + max_h - 1) / max_h);
            JDIMENSION ch = (JDIMENSION)(((long)crop_height * v + max_v - 1) / max_v);
            t->out_w[ci] = (cw + DCTSIZE - 1) / DCTSIZE;
            t->out_h[ci] = (ch + DCTSIZE - 1) / DCTSIZE;
        }
    }
    /* A sample: every sample_step-th whole iMCU row of the output, as a shorter image. */
    t->row_step = 1;
    if (sample_step > 1) {
        int max_v = 1;
        for (int ci = 0; ci < dst.num_components; ci++)
            if (dst.comp_info[ci].v_samp_factor > max_v) max_v = dst.comp_info[ci].v_samp_factor;
        JDIMENSION imcu = (JDIMENSION)max_v * DCTSIZE;
        JDIMENSION whole_rows = dst.image_height / imcu;
        JDIMENSION taken = whole_rows / (JDIMENSION)sample_step;
        if (taken >= 1) {
            t->row_step = sample_step;
            dst.image_height = taken * imcu;
            for (int ci = 0; ci < dst.num_components; ci++) {
                t->out_rows_per_imcu[ci] = (JDIMENSION)dst.comp_info[ci].v_samp_factor;
                t->out_h[ci] = taken * t->out_rows_per_imcu[ci];
            }
            markers_size = 0;
        }
    }
    dst.optimize_coding = TRUE;
    dst.arith_code = FALSE;
    dst.write_JFIF_header = t->src.saw_JFIF_marker || dst.jpeg_color_space == JCS_YCbCr || dst.jpeg_color_space == JCS_GRAYSCALE;
    dst.client_data = t;
    jpeg_write_coefficients(&dst, t->arrays);
    dst.mem->access_virt_barray = pp_transcode_access;
    for (size_t at = 0; at + 5 <= markers_size;) {
        int code = markers[at];
        size_t length = (size_t)markers[at + 1] | (size_t)markers[at + 2] << 8 | (size_t)markers[at + 3] << 16 | (size_t)markers[at + 4] << 24;
        at += 5;
        if (length > markers_size - at || length > 65533) break;
        jpeg_write_marker(&dst, code, markers + at, (unsigned int)length);
        at += length;
    }
    jpeg_finish_compress(&dst);
    jpeg_destroy_compress(&dst);
    *out = buffer;
    *out_size = buffer_size;
    return PP_JPEG_OK;
}

void pp_jpeg_transcoder_close(pp_jpeg_transcoder *t) {
    if (!t) return;
    for (int ci = 0; ci < MAX_COMPONENTS; ci++) {
        free(t->rows[ci]);
        free(t->scratch[ci]);
    }
    free(t->source.block);
    jpeg_destroy_decompress(&t->src);
    free(t);
}

void pp_jpeg_free(void *pointer) { free(pointer); }
