// Portable ScatterND (scatter_kernels.h). The shape rule (shape_check.cc) has checked the dtypes
// and shapes; Run checks the index values, which are only known then.
#include "engine/scatter_kernels.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace edgert::engine {
namespace {

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

// y = data; then for each index tuple t in order, y[indices[t]] (a slice of data.shape[k:]) =
// updates[t], or reduced with it.
template <typename T>
class ScatterNDKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(3, 3, 1));
    data_ = ctx.In(0);
    idx_ = ctx.In(1);
    upd_ = ctx.In(2);
    out_ = ctx.Out(0);
    where_ = ctx.Where();
    const std::string red = ctx.Str("reduction", "none");
    if (red == "none") {
      red_ = Reduction::kNone;
    } else if (red == "add") {
      red_ = Reduction::kAdd;
    } else if (red == "mul") {
      red_ = Reduction::kMul;
    } else if (red == "max") {
      red_ = Reduction::kMax;
    } else if (red == "min") {
      red_ = Reduction::kMin;
    } else {
      return ctx.Error("reduction '" + red + "', expected none, add, mul, max or min");
    }
    k_ = static_cast<size_t>(idx_->shape.back());
    slice_ = 1;
    for (size_t d = k_; d < data_->shape.size(); ++d) slice_ *= data_->shape[d];
    tuples_ = k_ ? idx_->elements() / static_cast<int64_t>(k_) : 0;
    return Status::Ok();
  }

  Status Run(pthreadpool_t) override {
    T* y = reinterpret_cast<T*>(out_->data);
    if (out_->data != data_->data) std::memmove(out_->data, data_->data, data_->bytes());
    const int32_t* idx = reinterpret_cast<const int32_t*>(idx_->data);
    const T* upd = reinterpret_cast<const T*>(upd_->data);
    for (int64_t t = 0; t < tuples_; ++t) {
      int64_t off = 0;
      for (size_t d = 0; d < k_; ++d) {
        const int64_t dim = data_->shape[d];
        const int64_t raw = idx[static_cast<size_t>(t) * k_ + d];
        const int64_t i = raw < 0 ? raw + dim : raw;
        if (i < 0 || i >= dim)
          return EngineError(where_ + ": index " + std::to_string(raw) + " of tuple " +
                             std::to_string(t) + " in '" + idx_->name +
                             "' is out of range for dimension " + std::to_string(d) + " of size " +
                             std::to_string(dim));
        off = off * dim + i;
      }
      T* dst = y + off * slice_;
      const T* src = upd + t * slice_;
      for (int64_t j = 0; j < slice_; ++j) dst[j] = Reduce(dst[j], src[j]);
    }
    return Status::Ok();
  }

 private:
  T Reduce(T o, T u) const {
    // Integers compute in 64 bits and wrap back (two's complement), so an overflowing add or
    // mul is defined.
    using Wide = std::conditional_t<std::is_integral_v<T>, int64_t, T>;
    switch (red_) {
      case Reduction::kNone:
        return u;
      case Reduction::kAdd:
        return static_cast<T>(static_cast<Wide>(o) + static_cast<Wide>(u));
      case Reduction::kMul:
        return static_cast<T>(static_cast<Wide>(o) * static_cast<Wide>(u));
      case Reduction::kMax:
        return std::max(o, u);
      case Reduction::kMin:
        return std::min(o, u);
    }
    return u;
  }

  TensorRef *data_ = nullptr, *idx_ = nullptr, *upd_ = nullptr, *out_ = nullptr;
  std::string where_;
  Reduction red_ = Reduction::kNone;
  size_t k_ = 0;
  int64_t slice_ = 1, tuples_ = 0;
};

}  // namespace

std::vector<KernelRegistration> ScatterKernels() {
  return {
      {fb::OpType_ScatterND, fb::DType_F32, Make<ScatterNDKernel<float>>},
      {fb::OpType_ScatterND, fb::DType_S32, Make<ScatterNDKernel<int32_t>>},
      {fb::OpType_ScatterND, fb::DType_S16, Make<ScatterNDKernel<int16_t>>},
      {fb::OpType_ScatterND, fb::DType_S8, Make<ScatterNDKernel<int8_t>>},
      {fb::OpType_ScatterND, fb::DType_U8, Make<ScatterNDKernel<uint8_t>>},
  };
}

}  // namespace edgert::engine
