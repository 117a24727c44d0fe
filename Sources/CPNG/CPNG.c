#include "CPNG.h"

#include <setjmp.h>
#include <stdio.h>
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
