#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "edgert/status.h"
#include "edgert/tensor_desc.h"

namespace edgert {

// Copies `height` rows of `width_bytes` bytes from src (rows `src_stride` bytes apart) to dst
// (rows `dst_stride` bytes apart) and zeroes dst's padding bytes [width_bytes, dst_stride) of
// each row. Reads exactly width_bytes per source row, never past it. Serves Y planes, UV planes,
// packed images and featuremap rows alike (libyuv-style: sources first, then destinations).
void CopyPlanePadded(const uint8_t* src, int64_t src_stride, uint8_t* dst, int64_t dst_stride,
                     int64_t width_bytes, int64_t height);

// Fills the aligned buffer `dst` (desc.aligned_byte_size bytes) from `src`:
//  - src_bytes == desc.aligned_byte_size: copied as is;
//  - src_bytes == desc.valid_byte_size(): each row is padded with zeros to the aligned stride
//    (NV12: Y rows then UV rows);
//  - anything else: kInputError naming the tensor and both accepted sizes.
Status PrepareInput(const TensorDesc& desc, const void* src, size_t src_bytes, void* dst);

// Reads an aligned output buffer into dense float32 in the valid shape: strips the row padding
// and dequantizes quantized types (real = scale * (q - zero_point), per tensor or per axis).
// `dst` is resized to desc.element_count(). Image types are returned as their byte values.
Status ReadOutputF32(const TensorDesc& desc, const void* aligned, std::vector<float>* dst);

}  // namespace edgert
