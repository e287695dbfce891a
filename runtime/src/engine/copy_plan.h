#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgert::engine {

constexpr int kMaxRank = 8;

// A strided copy of a block of elements, planned at setup and run without allocating. Strides
// are in bytes and may be negative or zero (source only). Size-1 dimensions are dropped and
// dimensions contiguous on both sides are merged, so a dense copy becomes one memcpy.
class CopyPlan {
 public:
  void Init(const std::vector<int64_t>& shape, const std::vector<int64_t>& src_stride,
            const std::vector<int64_t>& dst_stride, size_t element_size);
  void Run(const uint8_t* src, uint8_t* dst) const;

 private:
  void RunTiled(const uint8_t* src, uint8_t* dst) const;
  bool tiled_ = false;
  int rank_ = 0;
  int64_t shape_[kMaxRank] = {};
  int64_t src_stride_[kMaxRank] = {};
  int64_t dst_stride_[kMaxRank] = {};
  size_t esize_ = 4;
};

// Dense row-major strides of `shape` in units of `unit` (bytes or elements).
std::vector<int64_t> DenseStrides(const std::vector<int64_t>& shape, int64_t unit);

// out[i0..ir] = in[map0[i0], ..., mapr[ir]] with a dense output, where a map entry of -1 means
// "the fill value" (constant padding). Serves Pad, Slice and nearest Resize.
class GatherPlan {
 public:
  // `maps[d]` has one entry per output index of dimension d; `src_stride` in bytes.
  void Init(std::vector<std::vector<int64_t>> maps, const std::vector<int64_t>& src_stride,
            size_t element_size, const void* fill);
  void Run(const uint8_t* src, uint8_t* dst) const;

 private:
  void Fill(uint8_t* dst, int64_t count) const;
  uint8_t* Rec(int d, const uint8_t* src, uint8_t* dst) const;
  std::vector<std::vector<int64_t>> maps_;  // element index per output index, or -1
  std::vector<int64_t> src_stride_;
  std::vector<int64_t> inner_count_;  // output elements below dimension d
  size_t esize_ = 4;
  uint8_t fill_[8] = {};
};

}  // namespace edgert::engine
