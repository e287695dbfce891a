#include "engine/copy_plan.h"

#include <algorithm>
#include <cstring>

namespace edgert::engine {

std::vector<int64_t> DenseStrides(const std::vector<int64_t>& shape, int64_t unit) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = unit;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

void CopyPlan::Init(const std::vector<int64_t>& shape, const std::vector<int64_t>& src_stride,
                    const std::vector<int64_t>& dst_stride, size_t element_size) {
  esize_ = element_size;
  rank_ = 0;
  tiled_ = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) {  // nothing to copy: one empty dimension
      rank_ = 1;
      shape_[0] = 0;
      src_stride_[0] = dst_stride_[0] = 0;
      return;
    }
    if (shape[i] == 1) continue;
    if (rank_ > 0) {
      const int j = rank_ - 1;
      // Merge into the previous (outer) dimension when both sides step contiguously.
      if (src_stride_[j] == src_stride[i] * shape[i] &&
          dst_stride_[j] == dst_stride[i] * shape[i]) {
        shape_[j] *= shape[i];
        src_stride_[j] = src_stride[i];
        dst_stride_[j] = dst_stride[i];
        continue;
      }
    }
    shape_[rank_] = shape[i];
    src_stride_[rank_] = src_stride[i];
    dst_stride_[rank_] = dst_stride[i];
    ++rank_;
  }
  // Loop order does not change a copy. When the source and the destination are contiguous
  // along different dimensions (a transpose such as NHWC -> NCHW), put the destination's
  // contiguous dimension innermost and the source's next to it, and copy 2-D tiles so both
  // sides stay in cache.
  tiled_ = false;
  if (rank_ < 2) return;
  const auto es = static_cast<int64_t>(esize_);
  int src_unit = -1, dst_unit = -1;
  for (int d = 0; d < rank_; ++d) {
    if (src_stride_[d] == es && (src_unit < 0 || shape_[d] > shape_[src_unit])) src_unit = d;
    if (dst_stride_[d] == es && (dst_unit < 0 || shape_[d] > shape_[dst_unit])) dst_unit = d;
  }
  auto move_to = [&](int from, int to) {
    const int64_t n = shape_[from], ss = src_stride_[from], ds = dst_stride_[from];
    for (int d = from; d < to; ++d) {
      shape_[d] = shape_[d + 1];
      src_stride_[d] = src_stride_[d + 1];
      dst_stride_[d] = dst_stride_[d + 1];
    }
    shape_[to] = n;
    src_stride_[to] = ss;
    dst_stride_[to] = ds;
  };
  if (src_unit >= 0 && dst_unit >= 0 && src_unit != dst_unit && esize_ == 4 &&
      shape_[src_unit] >= 4 && shape_[dst_unit] >= 4) {
    move_to(dst_unit, rank_ - 1);
    if (src_unit > dst_unit) --src_unit;
    move_to(src_unit, rank_ - 2);
    tiled_ = true;
    return;
  }
  // Otherwise avoid a short innermost run (C = 3) by looping over a longer contiguous one.
  if (shape_[rank_ - 1] < 16) {
    int best = rank_ - 1;
    for (int d = 0; d < rank_ - 1; ++d)
      if ((src_stride_[d] == es || dst_stride_[d] == es) && shape_[d] > shape_[best]) best = d;
    if (best != rank_ - 1) move_to(best, rank_ - 1);
  }
}

namespace {

template <typename T>
void CopyRow(const uint8_t* src, int64_t ss, uint8_t* dst, int64_t ds, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * ss, sizeof(T));
    std::memcpy(dst + i * ds, &v, sizeof(T));
  }
}

}  // namespace

void CopyPlan::RunTiled(const uint8_t* src, uint8_t* dst) const {
  constexpr int64_t kTile = 16;
  const int r = rank_ - 2, c = rank_ - 1;  // r: source-contiguous, c: destination-contiguous
  const int64_t rows = shape_[r], cols = shape_[c];
  const int64_t src_col = src_stride_[c], dst_row = dst_stride_[r];
  int64_t idx[kMaxRank] = {};
  for (;;) {
    for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
      const int64_t j1 = std::min(cols, j0 + kTile);
      for (int64_t i0 = 0; i0 < rows; i0 += kTile) {
        const int64_t i1 = std::min(rows, i0 + kTile);
        for (int64_t i = i0; i < i1; ++i)
          for (int64_t j = j0; j < j1; ++j)
            std::memcpy(dst + i * dst_row + 4 * j, src + 4 * i + j * src_col, 4);
      }
    }
    int d = r - 1;
    for (; d >= 0; --d) {
      src += src_stride_[d];
      dst += dst_stride_[d];
      if (++idx[d] < shape_[d]) break;
      src -= src_stride_[d] * shape_[d];
      dst -= dst_stride_[d] * shape_[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

void CopyPlan::Run(const uint8_t* src, uint8_t* dst) const {
  if (rank_ == 0) {
    std::memcpy(dst, src, esize_);
    return;
  }
  if (tiled_) {
    RunTiled(src, dst);
    return;
  }
  const int inner = rank_ - 1;
  const int64_t n = shape_[inner], ss = src_stride_[inner], ds = dst_stride_[inner];
  if (n == 0) return;
  const bool dense = ss == static_cast<int64_t>(esize_) && ds == static_cast<int64_t>(esize_);
  int64_t idx[kMaxRank] = {};
  for (;;) {
    if (dense) {
      std::memcpy(dst, src, static_cast<size_t>(n) * esize_);
    } else {
      switch (esize_) {
        case 4:
          CopyRow<uint32_t>(src, ss, dst, ds, n);
          break;
        case 2:
          CopyRow<uint16_t>(src, ss, dst, ds, n);
          break;
        case 1:
          CopyRow<uint8_t>(src, ss, dst, ds, n);
          break;
        default:
          for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * ds, src + i * ss, esize_);
      }
    }
    // Advance the outer dimensions like an odometer.
    int d = inner - 1;
    for (; d >= 0; --d) {
      src += src_stride_[d];
      dst += dst_stride_[d];
      if (++idx[d] < shape_[d]) break;
      src -= src_stride_[d] * shape_[d];
      dst -= dst_stride_[d] * shape_[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

void GatherPlan::Init(std::vector<std::vector<int64_t>> maps,
                      const std::vector<int64_t>& src_stride, size_t element_size,
                      const void* fill) {
  maps_ = std::move(maps);
  src_stride_ = src_stride;
  esize_ = element_size;
  std::memcpy(fill_, fill, element_size <= 8 ? element_size : 8);
  inner_count_.assign(maps_.size(), 1);
  int64_t acc = 1;
  for (size_t d = maps_.size(); d-- > 0;) {
    inner_count_[d] = acc;
    acc *= static_cast<int64_t>(maps_[d].size());
  }
}

void GatherPlan::Fill(uint8_t* dst, int64_t count) const {
  if (esize_ == 4) {
    uint32_t v;
    std::memcpy(&v, fill_, 4);
    for (int64_t i = 0; i < count; ++i) std::memcpy(dst + 4 * i, &v, 4);
  } else {
    for (int64_t i = 0; i < count; ++i) std::memcpy(dst + i * esize_, fill_, esize_);
  }
}

uint8_t* GatherPlan::Rec(int d, const uint8_t* src, uint8_t* dst) const {
  const std::vector<int64_t>& map = maps_[d];
  const int64_t n = static_cast<int64_t>(map.size());
  const int64_t stride = src_stride_[d];
  if (d + 1 == static_cast<int>(maps_.size())) {
    if (esize_ == 4) {
      uint32_t fill;
      std::memcpy(&fill, fill_, 4);
      for (int64_t i = 0; i < n; ++i) {
        uint32_t v = fill;
        if (map[i] >= 0) std::memcpy(&v, src + map[i] * stride, 4);
        std::memcpy(dst + 4 * i, &v, 4);
      }
    } else {
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(dst + i * esize_, map[i] >= 0 ? src + map[i] * stride : fill_, esize_);
    }
    return dst + n * static_cast<int64_t>(esize_);
  }
  const int64_t block = inner_count_[d] * static_cast<int64_t>(esize_);
  for (int64_t i = 0; i < n; ++i) {
    if (map[i] < 0) {
      Fill(dst, inner_count_[d]);
      dst += block;
    } else {
      dst = Rec(d + 1, src + map[i] * stride, dst);
    }
  }
  return dst;
}

void GatherPlan::Run(const uint8_t* src, uint8_t* dst) const {
  if (maps_.empty()) {
    std::memcpy(dst, src, esize_);
    return;
  }
  for (const auto& m : maps_)
    if (m.empty()) return;
  Rec(0, src, dst);
}

}  // namespace edgert::engine
