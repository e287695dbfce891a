#include "common/image_decode.h"

// jpeglib.h needs stdio.h (FILE) and stddef.h first, so the order is fixed.
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>
// clang-format on
#include <libexif/exif-data.h>
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <iterator>
#include <memory>

#include "common/file_read.h"

namespace edgert::app {
namespace {

// Larger images are refused before any pixel memory is allocated (a corrupt header must not
// ask for gigabytes): 2^28 pixels, 768 MB of BGR.
constexpr uint64_t kMaxPixels = uint64_t{1} << 28;
bool TooLarge(uint64_t w, uint64_t h) { return w * h > kMaxPixels; }
const char* kTooLarge = "image is larger than 2^28 pixels";

// A header that promises far more pixels than its file could hold is corrupt or hostile (a
// 936-byte JPEG declaring 16384x16384 decoded to 0.9 GB of filler). Above 64 MiB of BGR, more than
// 1000 decoded bytes per file byte are refused before any pixel memory is allocated. (Deflate
// tops out near 1032:1, and real photographs compress 5-50:1; small images are never refused.)
constexpr uint64_t kMaxRatio = 1000;
constexpr uint64_t kRatioFloorBytes = uint64_t{64} << 20;
// True when (w, h) is implausible for a file of `file_bytes`, with why in `msg`. Not inlined:
// the decoders call it between setjmp and longjmp, where no std::string may live.
[[gnu::noinline]] bool RatioRefused(uint64_t w, uint64_t h, size_t file_bytes, char* msg,
                                    size_t n) {
  const uint64_t decoded = w * h * 3;
  if (decoded <= kRatioFloorBytes || decoded <= kMaxRatio * file_bytes) return false;
  std::snprintf(msg, n,
                "header declares %llux%llu pixels (%llu MiB decoded) in a %zu-byte file: a "
                "decompression ratio above %llu:1 is refused as corrupt",
                static_cast<unsigned long long>(w), static_cast<unsigned long long>(h),
                static_cast<unsigned long long>(decoded >> 20), file_bytes,
                static_cast<unsigned long long>(kMaxRatio));
  return true;
}

// ---- EXIF orientation ----

// The orientation tag (1..8) of an EXIF block ("Exif\0\0" + TIFF); 1 when absent or unreadable.
int ExifOrientation(const uint8_t* data, size_t size) {
  if (size < 6 || size > 0xffffff) return 1;
  ExifData* ed = exif_data_new_from_data(data, static_cast<unsigned int>(size));
  if (!ed) return 1;
  int orientation = 1;
  ExifEntry* e = exif_data_get_entry(ed, EXIF_TAG_ORIENTATION);
  if (e && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->data)
    orientation = exif_get_short(e->data, exif_data_get_byte_order(ed));
  exif_data_unref(ed);
  return orientation >= 1 && orientation <= 8 ? orientation : 1;
}

// Applies orientation o the way imread does: 2 flip left-right, 3 rotate 180, 4 flip top-bottom,
// 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
void Orient(int o, BgrImage* img) {
  if (o <= 1) return;
  const int w = img->width, h = img->height;
  const bool swap = o >= 5;
  const int ow = swap ? h : w, oh = swap ? w : h;
  std::vector<uint8_t> out(img->bgr.size());
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      // The source pixel (sx, sy) of output pixel (x, y).
      int sx = x, sy = y;
      // One orientation per line, as the table it is.
      // clang-format off
      switch (o) {
        case 2: sx = w - 1 - x; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = h - 1 - x; break;
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;
        case 8: sx = w - 1 - y; sy = x; break;
        default: break;
      }
      // clang-format on
      std::memcpy(&out[(static_cast<size_t>(y) * ow + x) * 3],
                  &img->bgr[(static_cast<size_t>(sy) * w + sx) * 3], 3);
    }
  img->bgr.swap(out);
  img->width = ow;
  img->height = oh;
}

// ---- JPEG (libjpeg-turbo) ----

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX + 32];  // room for "libjpeg warning: " and a libjpeg message
};

void JpegErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}
// Every libjpeg warning is an error here (imread ignores them): corrupt entropy data, a segment
// cut short before an EOI marker, data that ends early (libjpeg would fill the rest of the image
// with gray). The decode stops at the first one, named in the message.
void JpegWarning(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
    std::snprintf(err->message, sizeof(err->message), "data ends early (truncated file?)");
  } else {
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    std::snprintf(err->message, sizeof(err->message), "libjpeg warning: %s", text);
  }
  std::longjmp(err->jump, 1);
}

// Decodes into *img; returns false with err->message set. Only trivially destructible locals
// live across setjmp, and everything written after it is reached through pointers.
bool DecodeJpeg(const std::vector<uint8_t>& file, BgrImage* img, int* orientation, JpegError* err,
                bool* cmyk) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err->mgr);
  err->mgr.error_exit = JpegErrorExit;
  err->mgr.emit_message = JpegWarning;
  err->message[0] = '\0';
  jpeg_create_decompress(&cinfo);
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_mem_src(&cinfo, file.data(), static_cast<unsigned long>(file.size()));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.num_components == 4) {
    *cmyk = true;
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next)
    if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
        std::memcmp(m->data, "Exif\0\0", 6) == 0) {
      *orientation = ExifOrientation(m->data, m->data_length);
      break;
    }
  cinfo.out_color_space = JCS_EXT_BGR;
  if (TooLarge(cinfo.image_width, cinfo.image_height)) {
    std::snprintf(err->message, sizeof(err->message), "%s", kTooLarge);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  if (RatioRefused(cinfo.image_width, cinfo.image_height, file.size(), err->message,
                   sizeof(err->message))) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_start_decompress(&cinfo);
  img->width = static_cast<int>(cinfo.output_width);
  img->height = static_cast<int>(cinfo.output_height);
  img->bgr.resize(static_cast<size_t>(img->width) * img->height * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = img->bgr.data() + static_cast<size_t>(cinfo.output_scanline) * img->width * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

// ---- PNG (libpng) ----

struct PngReader {
  const std::vector<uint8_t>* file = nullptr;
  size_t pos = 0;
  char message[256] = {0};
  std::vector<png_bytep> rows;  // here, not a local: set after setjmp, so no longjmp hazard
  char problem[256] = {0};      // a message built after setjmp, for png_error
};

void PngRead(png_structp png, png_bytep out, size_t n) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (r->pos + n > r->file->size()) png_error(png, "file ends early");
  std::memcpy(out, r->file->data() + r->pos, n);
  r->pos += n;
}
void PngError(png_structp png, png_const_charp msg) {
  auto* r = static_cast<PngReader*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof(r->message), "%s", msg);
  png_longjmp(png, 1);
}
// Every libpng warning (a bad ancillary-chunk CRC, an invalid chunk libpng would skip) is an
// error here, named in the message.
void PngWarning(png_structp png, png_const_charp msg) {
  auto* r = static_cast<PngReader*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof(r->message), "libpng warning: %s", msg);
  png_longjmp(png, 1);
}

bool DecodePng(PngReader* r, BgrImage* img, int* orientation) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, PngError, PngWarning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, r, PngRead);
  png_read_info(png, info);
  const int color = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  // To 8-bit BGR: palette and low-depth gray expanded, 16 bits to 8, alpha (and the tRNS
  // transparency it would come from) dropped, gray replicated.
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16) png_set_strip_16(png);
  // (png_set_palette_to_rgb also turns a tRNS chunk into alpha.)
  if ((color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS))
    png_set_strip_alpha(png);
  if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  png_set_bgr(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  img->width = static_cast<int>(png_get_image_width(png, info));
  img->height = static_cast<int>(png_get_image_height(png, info));
  if (png_get_rowbytes(png, info) != static_cast<size_t>(img->width) * 3)
    png_error(png, "unexpected row size after conversion to 8-bit BGR");
  if (TooLarge(static_cast<uint64_t>(img->width), static_cast<uint64_t>(img->height)))
    png_error(png, kTooLarge);
  if (RatioRefused(static_cast<uint64_t>(img->width), static_cast<uint64_t>(img->height),
                   r->file->size(), r->problem, sizeof(r->problem)))
    png_error(png, r->problem);
  img->bgr.resize(static_cast<size_t>(img->width) * img->height * 3);
  r->rows.resize(static_cast<size_t>(img->height));
  for (int y = 0; y < img->height; ++y)
    r->rows[static_cast<size_t>(y)] = img->bgr.data() + static_cast<size_t>(y) * img->width * 3;
  png_read_image(png, r->rows.data());
  png_read_end(png, info);
  png_uint_32 exif_size = 0;
  png_bytep exif = nullptr;
  if (png_get_eXIf_1(png, info, &exif_size, &exif) && exif && exif_size > 0) {
    std::vector<uint8_t> block = {'E', 'x', 'i', 'f', 0, 0};  // libexif wants the JPEG header
    block.insert(block.end(), exif, exif + exif_size);
    *orientation = ExifOrientation(block.data(), block.size());
  }
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

// ---- BMP ----

uint32_t U32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
uint16_t U16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

Status DecodeBmp(const std::string& path, const std::vector<uint8_t>& f, BgrImage* img) {
  const auto bad = [&](const std::string& why) { return InputError(path + ": BMP " + why); };
  if (f.size() < 54) return bad("file is too short for its headers");
  const uint32_t data_offset = U32(&f[10]);
  const uint32_t header = U32(&f[14]);
  if (header < 40 || 14 + static_cast<size_t>(header) > f.size())
    return bad("header of " + std::to_string(header) + " bytes is not supported (40 or more)");
  const int32_t width = static_cast<int32_t>(U32(&f[18]));
  const int32_t height_signed = static_cast<int32_t>(U32(&f[22]));
  const uint16_t bits = U16(&f[28]);
  const uint32_t compression = U32(&f[30]);
  uint32_t colors = U32(&f[46]);
  const bool top_down = height_signed < 0;
  const int64_t height = top_down ? -static_cast<int64_t>(height_signed) : height_signed;
  if (width <= 0 || height <= 0 || width > 65535 || height > 65535)
    return bad("size " + std::to_string(width) + "x" + std::to_string(height) + " is invalid");
  if (TooLarge(static_cast<uint64_t>(width), static_cast<uint64_t>(height))) return bad(kTooLarge);
  // BI_RGB, or BI_BITFIELDS for 32 bits (read as B, G, R, A bytes like imread).
  const bool bitfields32 = compression == 3 && bits == 32;
  if (compression != 0 && !bitfields32)
    return bad("compression " + std::to_string(compression) +
               " (RLE or bit fields) is not supported: convert the image to PNG");
  if (bits != 1 && bits != 4 && bits != 8 && bits != 24 && bits != 32)
    return bad(std::to_string(bits) + "-bit pixels are not supported (1, 4, 8, 24 or 32)");
  std::vector<uint8_t> palette;  // B, G, R per entry
  if (bits <= 8) {
    const uint32_t max_colors = 1u << bits;
    if (colors == 0 || colors > max_colors) colors = max_colors;
    const size_t pal = 14 + static_cast<size_t>(header);
    if (pal + static_cast<size_t>(colors) * 4 > f.size()) return bad("palette is truncated");
    palette.resize(static_cast<size_t>(max_colors) * 3, 0);
    for (uint32_t i = 0; i < colors; ++i) std::memcpy(&palette[i * 3], &f[pal + i * 4], 3);
  }
  const size_t row_bytes = ((static_cast<size_t>(width) * bits + 31) / 32) * 4;
  if (data_offset > f.size() || row_bytes * static_cast<size_t>(height) > f.size() - data_offset)
    return bad("pixel data is truncated (" + std::to_string(f.size()) + " bytes, header says " +
               std::to_string(data_offset + row_bytes * static_cast<size_t>(height)) + ")");
  img->width = width;
  img->height = static_cast<int>(height);
  img->bgr.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* src =
        &f[data_offset + static_cast<size_t>(top_down ? y : height - 1 - y) * row_bytes];
    uint8_t* dst = &img->bgr[static_cast<size_t>(y) * static_cast<size_t>(width) * 3];
    for (int32_t x = 0; x < width; ++x, dst += 3) {
      if (bits == 24 || bits == 32) {
        std::memcpy(dst, src + static_cast<size_t>(x) * (bits / 8), 3);
      } else {
        const size_t bit = static_cast<size_t>(x) * bits;
        const uint8_t byte = src[bit / 8];
        const unsigned index = (byte >> (8 - bits - bit % 8)) & ((1u << bits) - 1);
        std::memcpy(dst, &palette[index * 3], 3);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<BgrImage> DecodeImageFile(const std::string& path) {
  EDGERT_ASSIGN_OR_RETURN(const std::vector<uint8_t> file,
                          ReadFile(path, kMaxFileBytes, "", "image file"));
  BgrImage img;
  int orientation = 1;
  if (file.size() >= 3 && file[0] == 0xff && file[1] == 0xd8 && file[2] == 0xff) {
    auto err = std::make_unique<JpegError>();
    bool cmyk = false;
    if (!DecodeJpeg(file, &img, &orientation, err.get(), &cmyk))
      return InputError(path + (cmyk ? ": CMYK JPEG is not supported: convert it to RGB"
                                     : std::string(": corrupt JPEG: ") + err->message));
  } else if (file.size() >= 8 && png_sig_cmp(file.data(), 0, 8) == 0) {
    PngReader r;
    r.file = &file;
    if (!DecodePng(&r, &img, &orientation))
      return InputError(path + ": corrupt PNG: " + (r.message[0] ? r.message : "libpng failed"));
  } else if (file.size() >= 2 && file[0] == 'B' && file[1] == 'M') {
    EDGERT_RETURN_IF_ERROR(DecodeBmp(path, file, &img));
  } else {
    return InputError(path + ": not a JPEG, PNG or BMP file (" + std::to_string(file.size()) +
                      " bytes, no known signature)");
  }
  Orient(orientation, &img);
  return img;
}

}  // namespace edgert::app
