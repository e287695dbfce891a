#include "edgert/image.h"

#include <libyuv/convert.h>
#include <libyuv/convert_argb.h>
#include <libyuv/convert_from_argb.h>
#include <libyuv/planar_functions.h>

#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "edgert/tensor_io.h"

namespace edgert {
namespace {

// Where the rows and planes of a 4-D image description are.
struct ImageGeometry {
  int64_t n, c, h, w;
  int64_t row_stride;    // bytes between rows (of the Y plane for NV12/Y)
  int64_t plane_stride;  // bytes between channel planes (NCHW packed types only)
};

ImageGeometry Geometry(const TensorDesc& d) {
  const bool nchw = d.layout == Layout::kNCHW;
  ImageGeometry g;
  g.n = d.valid_shape[0];
  g.c = d.valid_shape[nchw ? 1 : 3];
  g.h = d.valid_shape[nchw ? 2 : 1];
  g.w = d.valid_shape[nchw ? 3 : 2];
  g.row_stride = d.stride[nchw ? 2 : 1];
  g.plane_stride = nchw ? d.stride[1] : 0;
  return g;
}

// Luma of every pixel, by libyuv: its Y rows compute the same integers on every CPU (checked by
// tests/runtime/image_test.cc on x86-64 and aarch64). libyuv has no RGB24-to-I400, so the
// limited-range path goes through one ARGB row at a time.
void LumaPlane(const uint8_t* bgr, int bgr_stride, ColorRange range, uint8_t* dst, int dst_stride,
               int width, int height) {
  if (range == ColorRange::kFull) {
    libyuv::RGB24ToJ400(bgr, bgr_stride, dst, dst_stride, width, height);
    return;
  }
  std::vector<uint8_t> argb(static_cast<size_t>(width) * 4);
  for (int y = 0; y < height; ++y) {
    libyuv::RGB24ToARGB(bgr + static_cast<int64_t>(y) * bgr_stride, bgr_stride, argb.data(),
                        width * 4, width, 1);
    libyuv::ARGBToI400(argb.data(), width * 4, dst + static_cast<int64_t>(y) * dst_stride,
                       dst_stride, width, 1);
  }
}

// Chroma is computed here, not by libyuv, because libyuv's chroma depends on the CPU it was
// built for: its x86 build averages with two rounds of pavgb and truncates limited-range U/V
// (+0x8000), its aarch64 build (and its LIBYUV_BIT_EXACT C code) sums the 2x2 block and rounds
// (+0x8080). For one image the two differ by 1 in up to half the samples, so the PC would not
// reproduce the board. We use the aarch64 formulas everywhere; on aarch64 the tests check that
// libyuv's own ARGBToI420/ARGBToJ420/RGB24ToJ420/ARGBToI444 give exactly these bytes.
//
// U = (ub*b - ug*g - ur*r + 0x8080) >> 8, V = (vr*r - vg*g - vb*b + 0x8080) >> 8; for the
// matrices below the sum is never negative and never above 0xFFFF, so no clamping is needed.
struct UvCoeffs {
  int ub, ug, ur, vr, vg, vb;
};
// Per pixel (IMG_YUV444): libyuv's RGBToUJ/RGBToVJ and RGBToU/RGBToV.
constexpr UvCoeffs kFullUv444{127, 84, 43, 127, 107, 20};
constexpr UvCoeffs kVideoUv444{112, 74, 38, 112, 94, 18};
// Per 2x2 block (IMG_NV12), applied to twice the block mean: libyuv's RGB2xToUJ/RGB2xToU,
// whose coefficients are the ones above halved with integer division (43/2 = 21).
constexpr UvCoeffs kFullUv420{63, 42, 21, 63, 53, 10};
constexpr UvCoeffs kVideoUv420{56, 37, 19, 56, 47, 9};

inline uint8_t ToU(const UvCoeffs& k, int b, int g, int r) {
  return static_cast<uint8_t>((k.ub * b - k.ug * g - k.ur * r + 0x8080) >> 8);
}
inline uint8_t ToV(const UvCoeffs& k, int b, int g, int r) {
  return static_cast<uint8_t>((k.vr * r - k.vg * g - k.vb * b + 0x8080) >> 8);
}

// NV12's interleaved UV plane: one U,V pair per 2x2 block (even width and height). Each channel
// is summed over the block and halved with rounding, (s + 1) >> 1, before the matrix.
void Uv420Interleaved(const uint8_t* bgr, int64_t bgr_stride, const UvCoeffs& k, uint8_t* dst_uv,
                      int64_t dst_stride, int64_t width, int64_t height) {
  for (int64_t y = 0; y < height; y += 2) {
    const uint8_t* r0 = bgr + y * bgr_stride;
    const uint8_t* r1 = r0 + bgr_stride;
    uint8_t* out = dst_uv + (y / 2) * dst_stride;
    for (int64_t x = 0; x < width; x += 2) {
      const uint8_t* a = r0 + 3 * x;
      const uint8_t* c = r1 + 3 * x;
      const int b2 = (a[0] + a[3] + c[0] + c[3] + 1) >> 1;
      const int g2 = (a[1] + a[4] + c[1] + c[4] + 1) >> 1;
      const int r2 = (a[2] + a[5] + c[2] + c[5] + 1) >> 1;
      out[x] = ToU(k, b2, g2, r2);
      out[x + 1] = ToV(k, b2, g2, r2);
    }
  }
}

// Full-resolution U and V planes. libyuv has no full-range ARGB-to-444 (no ARGBToJ444 in this
// version), and its limited-range ARGBToI444 is CPU-dependent like its 4:2:0 chroma.
void Uv444Planes(const uint8_t* bgr, int64_t bgr_stride, const UvCoeffs& k, uint8_t* dst_u,
                 uint8_t* dst_v, int64_t dst_stride, int64_t width, int64_t height) {
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* p = bgr + y * bgr_stride;
    uint8_t* u = dst_u + y * dst_stride;
    uint8_t* v = dst_v + y * dst_stride;
    for (int64_t x = 0; x < width; ++x, p += 3) {
      u[x] = ToU(k, p[0], p[1], p[2]);
      v[x] = ToV(k, p[0], p[1], p[2]);
    }
  }
}

std::string WxH(int64_t w, int64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

}  // namespace

const char* ColorRangeName(ColorRange range) {
  return range == ColorRange::kFull ? "regular" : "bt601_video";
}

Result<ColorRange> ParseColorRange(const std::string& name) {
  if (name.empty() || name == "regular") return ColorRange::kFull;
  if (name == "bt601_video") return ColorRange::kVideo;
  return InvalidArgument("unknown input_space_and_range '" + name +
                         "' (expected regular or bt601_video)");
}

Status ConvertBgr24ToInput(const uint8_t* bgr, int64_t bgr_stride, int64_t width, int64_t height,
                           ColorRange range, const TensorDesc& desc, uint8_t* dst) {
  const std::string who = "input '" + desc.name + "'";
  if (!IsImageType(desc.type))
    return InvalidArgument(who + " is " + std::string(TensorTypeName(desc.type)) +
                           ", not an IMG_* image type");
  EDGERT_RETURN_IF_ERROR(ValidateTensorDesc(desc));
  if (bgr == nullptr || dst == nullptr)
    return InvalidArgument(who + ": null source or destination pointer");
  const ImageGeometry g = Geometry(desc);
  const std::string valid = " (valid " + ShapeToString(desc.valid_shape) + " " +
                            TensorTypeName(desc.type) + " " + LayoutName(desc.layout) + ")";
  if (g.n != 1)
    return InvalidArgument(who + ": batch " + std::to_string(g.n) + valid +
                           "; one image fills a batch of 1 only");
  if (width != g.w || height != g.h)
    return InvalidArgument(who + ": image is " + WxH(width, height) + " (WxH), the input needs " +
                           WxH(g.w, g.h) + valid);
  const bool planar = desc.type == TensorType::kImgNv12 || desc.type == TensorType::kImgY;
  if (planar && (width % 2 || height % 2))
    return InvalidArgument(who + ": " + TensorTypeName(desc.type) +
                           " needs even width and height, got " + WxH(width, height));
  if (bgr_stride < 3 * width)
    return InvalidArgument(who + ": source stride " + std::to_string(bgr_stride) +
                           " bytes is less than 3 * width = " + std::to_string(3 * width));
  // libyuv takes int sizes and strides.
  if (width > INT_MAX / 4 || height > INT_MAX || bgr_stride > INT_MAX || g.row_stride > INT_MAX)
    return InvalidArgument(who + ": image " + WxH(width, height) + " is too large");

  // Padding is zero: clear everything, then write the valid pixels.
  std::memset(dst, 0, static_cast<size_t>(desc.aligned_byte_size));
  const int w = static_cast<int>(width), h = static_cast<int>(height);
  const int src_stride = static_cast<int>(bgr_stride);
  const int row = static_cast<int>(g.row_stride);
  const bool nchw = desc.layout == Layout::kNCHW;
  const UvCoeffs& uv444 = range == ColorRange::kFull ? kFullUv444 : kVideoUv444;
  switch (desc.type) {
    case TensorType::kImgY:
    case TensorType::kImgGray:  // C = 1: NCHW and NHWC store the same bytes
      LumaPlane(bgr, src_stride, range, dst, row, w, h);
      break;
    case TensorType::kImgNv12:
      LumaPlane(bgr, src_stride, range, dst, row, w, h);
      Uv420Interleaved(bgr, bgr_stride, range == ColorRange::kFull ? kFullUv420 : kVideoUv420,
                       dst + g.row_stride * height, g.row_stride, width, height);
      break;
    case TensorType::kImgBgr:
      if (nchw)  // SplitRGBPlane sends source bytes 0,1,2 (B,G,R) to its 1st,2nd,3rd plane
        libyuv::SplitRGBPlane(bgr, src_stride, dst, row, dst + g.plane_stride, row,
                              dst + 2 * g.plane_stride, row, w, h);
      else
        CopyPlanePadded(bgr, bgr_stride, dst, g.row_stride, 3 * width, height);
      break;
    case TensorType::kImgRgb:
      if (nchw)  // byte 0 (B) to plane 2, byte 2 (R) to plane 0
        libyuv::SplitRGBPlane(bgr, src_stride, dst + 2 * g.plane_stride, row, dst + g.plane_stride,
                              row, dst, row, w, h);
      else  // swapping bytes 0 and 2 is its own inverse: RAW->RGB24 is also BGR->RGB
        libyuv::RAWToRGB24(bgr, src_stride, dst, row, w, h);
      break;
    case TensorType::kImgYuv444:
      if (nchw) {
        LumaPlane(bgr, src_stride, range, dst, row, w, h);
        Uv444Planes(bgr, bgr_stride, uv444, dst + g.plane_stride, dst + 2 * g.plane_stride,
                    g.row_stride, width, height);
      } else {
        const size_t plane = static_cast<size_t>(width) * static_cast<size_t>(height);
        std::vector<uint8_t> yuv(3 * plane);
        uint8_t* py = yuv.data();
        uint8_t* pu = py + plane;
        uint8_t* pv = pu + plane;
        LumaPlane(bgr, src_stride, range, py, w, w, h);
        Uv444Planes(bgr, bgr_stride, uv444, pu, pv, width, width, height);
        libyuv::MergeRGBPlane(py, w, pu, w, pv, w, dst, row, w, h);  // Y,U,V per pixel
      }
      break;
    default:
      return InvalidArgument(who + ": unhandled type " + TensorTypeName(desc.type));
  }
  return Status::Ok();
}

}  // namespace edgert
