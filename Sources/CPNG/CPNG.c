#include "CPNG.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>

int pp_png_decode(const unsigned char *data, size_t size, unsigned long long max_pixels,
                  pp_png_decoded *out) {
    png_image image;
    memset(out, 0, sizeof(*out));
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;

    if (!png_image_begin_read_from_memory(&image, data, size)) {
        out->code = PP_PNG_ERROR;
        snprintf(out->message, sizeof(out->message), "%s", image.message);
        png_image_free(&image);
        return out->code;
    }
    unsigned long long count = (unsigned long long)image.width * image.height;
    if (max_pixels > 0 && count > max_pixels) {
        out->code = PP_PNG_TOO_LARGE;
        snprintf(out->message, sizeof(out->message), "%u x %u pixels", image.width, image.height);
        png_image_free(&image);
        return out->code;
    }
    /* 16-bit files without gAMA/sRGB/iCCP are treated as sRGB-encoded, as editors write them
       (libpng's default for them is linear light, which would darken every such photo). */
    image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
    int alpha = (image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
    int colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
    if (alpha) {
        image.format = PNG_FORMAT_RGBA;
        out->channels = 4;
    } else if (colour) {
        image.format = PNG_FORMAT_RGB;
        out->channels = 3;
    } else {
        image.format = PNG_FORMAT_GRAY;
        out->channels = 1;
    }
    out->pixel_bytes = PNG_IMAGE_SIZE(image);
    out->pixels = malloc(out->pixel_bytes > 0 ? out->pixel_bytes : 1);
    if (!out->pixels) {
        out->code = PP_PNG_NO_MEMORY;
        snprintf(out->message, sizeof(out->message), "out of memory");
        png_image_free(&image);
        return out->code;
    }
    if (!png_image_finish_read(&image, NULL, out->pixels, 0, NULL)) {
        out->code = PP_PNG_ERROR;
        snprintf(out->message, sizeof(out->message), "%s", image.message);
        free(out->pixels);
        out->pixels = NULL;
        png_image_free(&image);
        return out->code;
    }
    if (image.warning_or_error & PNG_IMAGE_WARNING) {
        out->had_warning = 1;
        snprintf(out->message, sizeof(out->message), "%s", image.message);
    }
    out->width = (int)image.width;
    out->height = (int)image.height;
    out->code = PP_PNG_OK;
    png_image_free(&image);
    return PP_PNG_OK;
}

/* ---- Streaming decode: the full libpng API, set up as the simplified API sets itself up. ---- */

#define PP_FILE_BLOCK 65536

typedef struct {
    const pp_png_input *input;
    size_t offset;                 /* memory: next byte */
    unsigned char *block;          /* file: the block read last */
    size_t block_length, block_position;
    long long file_position;
} pp_png_reader;

static void pp_png_read(png_structp png, png_bytep out, size_t need) {
    pp_png_reader *r = (pp_png_reader *)png_get_io_ptr(png);
    const pp_png_input *in = r->input;
    if (in->data) {
        if (in->size - r->offset >= need) {
            memcpy(out, in->data + r->offset, need);
            r->offset += need;
            return;
        }
        /* The simplified API's words, which the Swift side reads as "truncated". */
        png_error(png, "read beyond end of data");
    }
    while (need > 0) {
        if (r->block_position >= r->block_length) {
            ssize_t n;
            do {
                n = pread(in->fd, r->block, PP_FILE_BLOCK, (off_t)r->file_position);
            } while (n < 0 && errno == EINTR);
            if (n <= 0) png_error(png, n < 0 ? "Read Error" : "read beyond end of data");
            r->block_length = (size_t)n;
            r->block_position = 0;
            r->file_position += n;
        }
        size_t take = r->block_length - r->block_position;
        if (take > need) take = need;
        memcpy(out, r->block + r->block_position, take);
        r->block_position += take;
        out += take;
        need -= take;
    }
}

/* As png_safe_error / png_safe_warning: an error overwrites the text, a warning is kept only
   when it is the first. */
static void pp_png_read_error(png_structp png, png_const_charp text) {
    pp_png_result *result = (pp_png_result *)png_get_error_ptr(png);
    snprintf(result->message, sizeof(result->message), "%s", text);
    png_longjmp(png, 1);
}

static void pp_png_read_warning(png_structp png, png_const_charp text) {
    pp_png_result *result = (pp_png_result *)png_get_error_ptr(png);
    if (!result->had_warning) {
        snprintf(result->message, sizeof(result->message), "%s", text);
        result->had_warning = 1;
    }
}

/* The ancillary chunks the decode uses (the simplified API's list); tRNS is always kept. Every
   other ancillary chunk (text, eXIf, sPLT, time, …) is skipped unread: nothing here uses them (our
   own probe reads eXIf), and libpng would allocate a buffer of their claimed length. */
static const png_byte pp_png_used_chunks[] = {
    98, 75, 71, 68, '\0',   /* bKGD */
    99, 72, 82, 77, '\0',   /* cHRM */
    103, 65, 77, 65, '\0',  /* gAMA */
    105, 67, 67, 80, '\0',  /* iCCP */
    115, 66, 73, 84, '\0',  /* sBIT */
    115, 82, 71, 66, '\0',  /* sRGB */
};

/* Reads the header chunks and fills width, height, channels and interlacing. */
static void pp_png_read_header(png_structp png, png_infop info, pp_png_result *result) {
    png_set_benign_errors(png, 1);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_AS_DEFAULT, pp_png_used_chunks, (int)(sizeof pp_png_used_chunks) / 5);
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int color_type = png_get_color_type(png, info);
    png_bytep trans = NULL;
    int num_trans = 0;
    png_color_16p trans_color = NULL;
    if (png_get_tRNS(png, info, &trans, &num_trans, &trans_color) == 0) num_trans = 0;
    int colour = (color_type & PNG_COLOR_MASK_COLOR) != 0;
    int alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0 || num_trans > 0;
    result->width = (int)width;
    result->height = (int)height;
    result->channels = alpha ? 4 : colour ? 3 : 1;
    result->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
}

/* No single allocation of libpng's may exceed this. Its largest legitimate one is a row of the
   widest image it reads (1,000,000 pixels of 16-bit RGBA: 8 MB). A chunk's claimed length is
   not one of them: libpng 1.6.39 allocates and zero-fills a buffer of whatever length a text or
   eXIf chunk claims (a 59-byte file can claim 1.8 GB) when benign errors are warnings, as they are
   here and in the simplified API. */
#define PP_PNG_MAX_ALLOCATION ((png_alloc_size_t)32 << 20)

static png_voidp pp_png_malloc(png_structp png, png_alloc_size_t size) {
    (void)png;
    return size > PP_PNG_MAX_ALLOCATION ? NULL : malloc(size);
}

static void pp_png_free_memory(png_structp png, png_voidp pointer) {
    (void)png;
    free(pointer);
}

/* Creates the read structures and the file block; false (with the result filled in) when memory
   runs out. The caller sets up setjmp next, then png_set_read_fn. */
static int pp_png_begin(const pp_png_input *input, pp_png_result *result, pp_png_reader *reader,
                        png_structp *png, png_infop *info) {
    memset(result, 0, sizeof(*result));
    memset(reader, 0, sizeof(*reader));
    reader->input = input;
    *png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, result, pp_png_read_error, pp_png_read_warning, NULL,
                                    pp_png_malloc, pp_png_free_memory);
    *info = *png ? png_create_info_struct(*png) : NULL;
    if (*png && *info && (input->data || (reader->block = malloc(PP_FILE_BLOCK)))) return 1;
    snprintf(result->message, sizeof(result->message), "out of memory");
    png_destroy_read_struct(png, info, NULL);
    result->code = PP_PNG_NO_MEMORY;
    return 0;
}

int pp_png_inspect(const pp_png_input *input, pp_png_result *result) {
    pp_png_reader reader;
    png_structp png;
    png_infop info;
    if (!pp_png_begin(input, result, &reader, &png, &info)) return result->code;
    if (setjmp(png_jmpbuf(png))) {
        result->code = PP_PNG_ERROR;
        free(reader.block);
        png_destroy_read_struct(&png, &info, NULL);
        return result->code;
    }
    png_set_read_fn(png, &reader, pp_png_read);
    pp_png_read_header(png, info, result);
    free(reader.block);
    png_destroy_read_struct(&png, &info, NULL);
    result->code = PP_PNG_OK;
    return PP_PNG_OK;
}

int pp_png_decode_into(const pp_png_input *input, int region_x, int region_y, int region_width, int region_height,
                       int factor, unsigned long long max_pixels, unsigned char *out, size_t capacity,
                       pp_png_result *result) {
    pp_png_reader reader;
    png_structp png;
    png_infop info;
    unsigned char *volatile row = NULL;
    unsigned int *volatile sums = NULL;
    if (!pp_png_begin(input, result, &reader, &png, &info)) return result->code;
    if (setjmp(png_jmpbuf(png))) {
        if (result->code == PP_PNG_OK) result->code = PP_PNG_ERROR;
        free(row);
        free(sums);
        free(reader.block);
        png_destroy_read_struct(&png, &info, NULL);
        return result->code;
    }
    png_set_read_fn(png, &reader, pp_png_read);
    pp_png_read_header(png, info, result);
    unsigned long long count = (unsigned long long)result->width * (unsigned long long)result->height;
    if (max_pixels > 0 && count > max_pixels) {
        result->code = PP_PNG_TOO_LARGE;
        snprintf(result->message, sizeof(result->message), "%d x %d pixels", result->width, result->height);
        png_error(png, result->message);
    }
    const int channels = result->channels;
    const long width = result->width, height = result->height;
    long rx = 0, ry = 0, rw = width, rh = height;
    if (region_width >= 0 && region_height >= 0) {
        long x0 = region_x < 0 ? 0 : region_x, y0 = region_y < 0 ? 0 : region_y;
        long x1 = (long)region_x + region_width, y1 = (long)region_y + region_height;
        if (x1 > width) x1 = width;
        if (y1 > height) y1 = height;
        if (x1 <= x0 || y1 <= y0) {
            snprintf(result->message, sizeof(result->message), "the region lies outside the image");
            png_error(png, result->message);
        }
        rx = x0; ry = y0; rw = x1 - x0; rh = y1 - y0;
    }
    if (factor < 1) factor = 1;
    const long f = factor;
    const long ow = (rw + f - 1) / f, oh = (rh + f - 1) / f;
    if (!out || capacity < (size_t)ow * (size_t)oh * (size_t)channels) {
        snprintf(result->message, sizeof(result->message), "the output buffer is too small");
        result->code = PP_PNG_ERROR;
        png_error(png, result->message);
    }

    /* The transformations png_image_finish_read sets up for these output formats. */
    int color_type = png_get_color_type(png, info);
    png_set_expand(png);
    if (channels == 4 && (color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
    png_set_alpha_mode_fixed(png, PNG_ALPHA_PNG, PNG_DEFAULT_sRGB);
    if (png_get_bit_depth(png, info) == 16) png_set_scale_16(png);
    png_set_alpha_mode_fixed(png, PNG_ALPHA_PNG, PNG_DEFAULT_sRGB);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * (size_t)channels) {
        snprintf(result->message, sizeof(result->message), "unexpected row layout after transformations");
        png_error(png, result->message);
    }
    row = malloc((size_t)width * (size_t)channels + 1);
    if (!row) {
        result->code = PP_PNG_NO_MEMORY;
        snprintf(result->message, sizeof(result->message), "out of memory for one row");
        png_error(png, result->message);
    }
    int interlaced = result->interlaced;
    if (f > 1) {
        /* Sums of each output pixel's block: one output row of them, or (Adam7, whose passes
           revisit every row) all of them. */
        size_t cells = (size_t)ow * (size_t)channels * (size_t)(interlaced ? oh : 1);
        sums = calloc(cells, sizeof(unsigned int));
        if (!sums) {
            result->code = PP_PNG_NO_MEMORY;
            snprintf(result->message, sizeof(result->message), "out of memory for the shrink");
            png_error(png, result->message);
        }
    }
    int alpha_used = 0;
    int passes = interlaced ? 7 : 1;
    for (int pass = 0; pass < passes; pass++) {
        long start_x = 0, step_x = 1, start_y = 0, step_y = 1, cols = width, rows = height;
        if (interlaced) {
            cols = (long)PNG_PASS_COLS((png_uint_32)width, pass);
            rows = (long)PNG_PASS_ROWS((png_uint_32)height, pass);
            if (cols == 0 || rows == 0) continue;  /* libpng skips empty passes */
            start_x = PNG_PASS_START_COL(pass);
            step_x = 1L << PNG_PASS_COL_SHIFT(pass);
            start_y = PNG_PASS_START_ROW(pass);
            step_y = 1L << PNG_PASS_ROW_SHIFT(pass);
        }
        for (long r = 0; r < rows; r++) {
            long y = start_y + r * step_y;
            /* A non-interlaced image needs no row below the rectangle. */
            if (!interlaced && y >= ry + rh) break;
            png_read_row(png, row, NULL);
            if (channels == 4 && !alpha_used) {
                for (long i = 0; i < cols; i++) if (row[i * 4 + 3] != 255) { alpha_used = 1; break; }
            }
            if (y < ry || y >= ry + rh) continue;
            long oy = (y - ry) / f;
            /* Columns of this row inside the rectangle. */
            long first = rx <= start_x ? 0 : (rx - start_x + step_x - 1) / step_x;
            for (long i = first; i < cols; i++) {
                long x = start_x + i * step_x;
                if (x >= rx + rw) break;
                long ox = (x - rx) / f;
                const unsigned char *p = row + i * channels;
                if (f == 1) {
                    unsigned char *q = out + ((size_t)oy * (size_t)ow + (size_t)ox) * (size_t)channels;
                    for (int c = 0; c < channels; c++) q[c] = p[c];
                } else {
                    unsigned int *s = sums + ((size_t)(interlaced ? oy : 0) * (size_t)ow + (size_t)ox) * (size_t)channels;
                    for (int c = 0; c < channels; c++) s[c] += p[c];
                }
            }
            /* Non-interlaced shrink: an output row is complete after its block's last row. */
            if (f > 1 && !interlaced && ((y - ry) % f == f - 1 || y == ry + rh - 1)) {
                long bh = rh - oy * f < f ? rh - oy * f : f;
                unsigned char *q = out + (size_t)oy * (size_t)ow * (size_t)channels;
                for (long ox = 0; ox < ow; ox++) {
                    long bw = rw - ox * f < f ? rw - ox * f : f;
                    unsigned int n = (unsigned int)(bw * bh);
                    for (int c = 0; c < channels; c++) {
                        size_t k = (size_t)ox * (size_t)channels + (size_t)c;
                        q[k] = (unsigned char)((sums[k] + n / 2) / n);
                        sums[k] = 0;
                    }
                }
            }
        }
    }
    if (f > 1 && interlaced) {
        for (long oy = 0; oy < oh; oy++) {
            long bh = rh - oy * f < f ? rh - oy * f : f;
            for (long ox = 0; ox < ow; ox++) {
                long bw = rw - ox * f < f ? rw - ox * f : f;
                unsigned int n = (unsigned int)(bw * bh);
                for (int c = 0; c < channels; c++) {
                    size_t k = ((size_t)oy * (size_t)ow + (size_t)ox) * (size_t)channels + (size_t)c;
                    out[k] = (unsigned char)((sums[k] + n / 2) / n);
                }
            }
        }
    }
    result->alpha_used = alpha_used;
    free(row);
    free(sums);
    free(reader.block);
    png_destroy_read_struct(&png, &info, NULL);
    result->code = PP_PNG_OK;
    return PP_PNG_OK;
}

typedef struct {
    unsigned char *bytes;
    size_t count;
    size_t capacity;
    int failed;
} pp_buffer;

static void pp_write(png_structp png, png_bytep data, size_t length) {
    pp_buffer *buffer = (pp_buffer *)png_get_io_ptr(png);
    if (buffer->count + length > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 65536;
        while (capacity < buffer->count + length) capacity *= 2;
        unsigned char *grown = realloc(buffer->bytes, capacity);
        if (!grown) {
            buffer->failed = 1;
            png_error(png, "out of memory");
        }
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->count, data, length);
    buffer->count += length;
}

static void pp_flush(png_structp png) { (void)png; }

static void pp_png_error(png_structp png, png_const_charp text) {
    char *message = (char *)png_get_error_ptr(png);
    snprintf(message, 200, "%s", text);
    png_longjmp(png, 1);
}

static void pp_png_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

int pp_png_encode(const unsigned char *samples, size_t row_bytes, int repeat_first_row,
                  int width, int height, int bit_depth, int color_type, int interlace,
                  const unsigned char *palette, int palette_entries,
                  const unsigned char *trns, int trns_entries, int compression_level,
                  unsigned char **out, size_t *out_size, char message[200]) {
    pp_buffer buffer = {0};
    png_structp png;
    png_infop info = NULL;
    int y;

    *out = NULL;
    *out_size = 0;
    message[0] = 0;
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, message, pp_png_error, pp_png_warning);
    if (!png) {
        snprintf(message, 200, "png_create_write_struct failed");
        return PP_PNG_ERROR;
    }
    info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        if (!message[0]) snprintf(message, 200, "png_create_info_struct failed");
        png_destroy_write_struct(&png, &info);
        free(buffer.bytes);
        return PP_PNG_ERROR;
    }
    png_set_write_fn(png, &buffer, pp_write, pp_flush);
    png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (palette && palette_entries > 0) {
        png_color entries[256];
        for (int i = 0; i < palette_entries && i < 256; i++) {
            entries[i].red = palette[3 * i];
            entries[i].green = palette[3 * i + 1];
            entries[i].blue = palette[3 * i + 2];
        }
        png_set_PLTE(png, info, entries, palette_entries);
    }
    if (trns && trns_entries > 0) png_set_tRNS(png, info, trns, trns_entries, NULL);
    png_write_info(png, info);
    int passes = interlace ? png_set_interlace_handling(png) : 1;
    for (int pass = 0; pass < passes; pass++) {
        for (y = 0; y < height; y++) {
            const unsigned char *row = samples + (repeat_first_row ? 0 : row_bytes * (size_t)y);
            png_write_row(png, (png_const_bytep)row);
        }
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = buffer.bytes;
    *out_size = buffer.count;
    return PP_PNG_OK;
}

void pp_png_free(void *pointer) { free(pointer); }

#include <zlib.h>

int pp_inflate(const unsigned char *data, size_t size, size_t max_out, unsigned char **out, size_t *out_size) {
    *out = NULL;
    *out_size = 0;
    size_t capacity = size * 4 + 1024;
    if (capacity > max_out) capacity = max_out;
    unsigned char *buffer = malloc(capacity > 0 ? capacity : 1);
    if (!buffer) return PP_PNG_NO_MEMORY;
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK) { free(buffer); return PP_PNG_ERROR; }
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)size;
    int status = Z_OK;
    while (status == Z_OK) {
        if (z.total_out == capacity) {
            if (capacity >= max_out) { status = Z_BUF_ERROR; break; }
            size_t grown = capacity * 2 > max_out ? max_out : capacity * 2;
            unsigned char *bigger = realloc(buffer, grown);
            if (!bigger) { status = Z_MEM_ERROR; break; }
            buffer = bigger;
            capacity = grown;
        }
        z.next_out = buffer + z.total_out;
        z.avail_out = (uInt)(capacity - z.total_out);
        status = inflate(&z, Z_NO_FLUSH);
    }
    size_t produced = z.total_out;
    inflateEnd(&z);
    if (status != Z_STREAM_END) {
        free(buffer);
        return status == Z_MEM_ERROR ? PP_PNG_NO_MEMORY : status == Z_BUF_ERROR && produced >= max_out ? PP_PNG_TOO_LARGE : PP_PNG_ERROR;
    }
    *out = buffer;
    *out_size = produced;
    return PP_PNG_OK;
}
