// Portable comparison, logic and cast kernels (logic_kernels.h). The broadcasting ones walk the
// output in rows planned by BroadcastPlan (broadcast.h), like the binary arithmetic kernels.
#include "engine/logic_kernels.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "edgert_internal/half.h"
#include "engine/broadcast.h"

namespace edgert::engine {
namespace {

enum class CmpOp { kEqual, kGreater, kLess };

// Checks that every input has dtype `want` (the provider found the kernel by input 0's).
Status CheckInputs(const NodeContext& ctx, size_t first, size_t count, fb::DType want) {
  for (size_t i = first; i < first + count; ++i)
    if (ctx.In(i)->dtype != want)
      return ctx.Error("input " + std::to_string(i) + " '" + ctx.In(i)->name + "' is " +
                       fb::EnumNameDType(ctx.In(i)->dtype) + ", expected " +
                       fb::EnumNameDType(want));
  return Status::Ok();
}

Status CheckOutDType(const NodeContext& ctx, fb::DType want) {
  if (ctx.Out(0)->dtype != want)
    return ctx.Error("output '" + ctx.Out(0)->name + "' is " +
                     fb::EnumNameDType(ctx.Out(0)->dtype) + ", expected " +
                     fb::EnumNameDType(want));
  return Status::Ok();
}

// a op b -> U8 0/1, numpy broadcasting. A NaN compares false (so Equal(NaN, NaN) is 0).
template <CmpOp kOp, typename T>
class CompareKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
    a_ = ctx.In(0);
    b_ = ctx.In(1);
    out_ = ctx.Out(0);
    EDGERT_RETURN_IF_ERROR(CheckInputs(ctx, 0, 2, a_->dtype));
    EDGERT_RETURN_IF_ERROR(CheckOutDType(ctx, fb::DType_U8));
    return plan_.Init(ctx, *a_, *b_, *out_);
  }
  Status Run(pthreadpool_t) override {
    plan_.ForEachRow(reinterpret_cast<const T*>(a_->data), reinterpret_cast<const T*>(b_->data),
                     out_->data,
                     [](const T* a, int64_t sa, const T* b, int64_t sb, uint8_t* y, int64_t n) {
                       for (int64_t i = 0; i < n; ++i) y[i] = Cmp(a[i * sa], b[i * sb]) ? 1 : 0;
                       return true;
                     });
    return Status::Ok();
  }

 private:
  static bool Cmp(T x, T y) {
    switch (kOp) {
      case CmpOp::kEqual:
        return x == y;
      case CmpOp::kGreater:
        return x > y;
      case CmpOp::kLess:
        return x < y;
    }
    return false;
  }
  TensorRef *a_ = nullptr, *b_ = nullptr, *out_ = nullptr;
  BroadcastPlan plan_;
};

// Not: U8 -> U8, 1 where x is 0, else 0.
class NotKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    EDGERT_RETURN_IF_ERROR(CheckOutDType(ctx, fb::DType_U8));
    return CheckOutShape(ctx, *out_, in_->shape);
  }
  Status Run(pthreadpool_t) override {
    const uint8_t* x = in_->data;
    uint8_t* y = out_->data;
    const int64_t n = in_->elements();
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] == 0 ? 1 : 0;
    return Status::Ok();
  }

 private:
  TensorRef *in_ = nullptr, *out_ = nullptr;
};

// Where: cond (U8; nonzero is true) ? a : b, numpy broadcasting of the three. The branches are
// copied as elements of their size, so one kernel serves every dtype.
class WhereKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(3, 3, 1));
    c_ = ctx.In(0);
    a_ = ctx.In(1);
    b_ = ctx.In(2);
    out_ = ctx.Out(0);
    EDGERT_RETURN_IF_ERROR(CheckInputs(ctx, 0, 1, fb::DType_U8));
    EDGERT_RETURN_IF_ERROR(CheckInputs(ctx, 2, 1, a_->dtype));
    EDGERT_RETURN_IF_ERROR(CheckOutDType(ctx, a_->dtype));
    switch (a_->element_size) {
      case 1:
        run_ = &WhereKernel::RunT<uint8_t>;
        break;
      case 2:
        run_ = &WhereKernel::RunT<uint16_t>;
        break;
      case 4:
        run_ = &WhereKernel::RunT<uint32_t>;
        break;
      default:
        return ctx.Error("element size " + std::to_string(a_->element_size));
    }
    return plan_.Init3(ctx, *a_, *b_, *c_, *out_);
  }
  Status Run(pthreadpool_t) override {
    (this->*run_)();
    return Status::Ok();
  }

 private:
  template <typename T>
  void RunT() const {
    plan_.ForEachRow3(reinterpret_cast<const T*>(a_->data), reinterpret_cast<const T*>(b_->data),
                      c_->data, reinterpret_cast<T*>(out_->data),
                      [](const T* a, int64_t sa, const T* b, int64_t sb, const uint8_t* c,
                         int64_t sc, T* y, int64_t n) {
                        for (int64_t i = 0; i < n; ++i) y[i] = c[i * sc] ? a[i * sa] : b[i * sb];
                        return true;
                      });
  }
  TensorRef *c_ = nullptr, *a_ = nullptr, *b_ = nullptr, *out_ = nullptr;
  void (WhereKernel::*run_)() const = nullptr;
  BroadcastPlan plan_;
};

// ---- Cast ----
// ONNX Cast: float -> float rounds to nearest even (F32 -> F16 overflows to +-inf); integer ->
// float rounds to nearest; integer -> integer keeps the low bits (two's complement wrap, as ONNX
// and numpy's astype); float -> integer truncates toward zero. ONNX leaves a float out of the
// integer's range undefined: here it saturates to the range and NaN becomes 0, never C++'s
// undefined behaviour.

// An F16 element: its binary16 bits, converted through float (edgert_internal/half.h). Every
// integer an F16 can hold below infinity is exact in float, so int -> float -> F16 rounds once.
struct Half {
  uint16_t bits;
};

template <typename To, typename From>
To Convert(From x) {
  if constexpr (std::is_same_v<From, Half>) {
    return Convert<To>(HalfToFloat(x.bits));
  } else if constexpr (std::is_same_v<To, Half>) {
    return Half{FloatToHalf(Convert<float>(x))};
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (std::isnan(x)) return 0;
    const float t = std::trunc(x);
    // The bounds as floats: the low one is exact (-2^k), the high one (2^k - 1) may round up
    // to 2^k, hence >= for it.
    if (t <= static_cast<float>(std::numeric_limits<To>::min()))
      return std::numeric_limits<To>::min();
    if (t >= static_cast<float>(std::numeric_limits<To>::max()))
      return std::numeric_limits<To>::max();
    return static_cast<To>(t);
  } else if constexpr (std::is_integral_v<From> && std::is_integral_v<To>) {
    // Modulo 2^bits of To (well defined for unsigned), then read back as To: the low bits.
    return static_cast<To>(static_cast<std::make_unsigned_t<To>>(x));
  } else {
    return static_cast<To>(x);  // to float: round to nearest even
  }
}

template <typename To, typename From>
void CastLoop(const uint8_t* in, uint8_t* out, int64_t n) {
  const From* x = reinterpret_cast<const From*>(in);
  To* y = reinterpret_cast<To*>(out);
  for (int64_t i = 0; i < n; ++i) y[i] = Convert<To, From>(x[i]);
}

using CastFn = void (*)(const uint8_t*, uint8_t*, int64_t);

template <typename From>
CastFn CastTo(fb::DType to) {
  switch (to) {
    case fb::DType_F32:
      return CastLoop<float, From>;
    case fb::DType_F16:
      return CastLoop<Half, From>;
    case fb::DType_S32:
      return CastLoop<int32_t, From>;
    case fb::DType_S16:
      return CastLoop<int16_t, From>;
    case fb::DType_S8:
      return CastLoop<int8_t, From>;
    case fb::DType_U8:
      return CastLoop<uint8_t, From>;
  }
  return nullptr;
}

CastFn CastFrom(fb::DType from, fb::DType to) {
  switch (from) {
    case fb::DType_F32:
      return CastTo<float>(to);
    case fb::DType_F16:
      return CastTo<Half>(to);
    case fb::DType_S32:
      return CastTo<int32_t>(to);
    case fb::DType_S16:
      return CastTo<int16_t>(to);
    case fb::DType_S8:
      return CastTo<int8_t>(to);
    case fb::DType_U8:
      return CastTo<uint8_t>(to);
  }
  return nullptr;
}

class CastKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    // `to` equals the output's dtype: the shape rule (shape_check.cc) checked it.
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *out_, in_->shape));
    fn_ = CastFrom(in_->dtype, out_->dtype);
    if (!fn_)
      return ctx.Decline(std::string("no cast from ") + fb::EnumNameDType(in_->dtype) + " to " +
                         fb::EnumNameDType(out_->dtype));
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    fn_(in_->data, out_->data, in_->elements());
    return Status::Ok();
  }

 private:
  TensorRef *in_ = nullptr, *out_ = nullptr;
  CastFn fn_ = nullptr;
};

}  // namespace

std::vector<KernelRegistration> LogicKernels() {
  const fb::DType f = fb::DType_F32, s = fb::DType_S32, u = fb::DType_U8;
  std::vector<KernelRegistration> r = {
      {fb::OpType_Equal, f, Make<CompareKernel<CmpOp::kEqual, float>>},
      {fb::OpType_Equal, s, Make<CompareKernel<CmpOp::kEqual, int32_t>>},
      {fb::OpType_Equal, u, Make<CompareKernel<CmpOp::kEqual, uint8_t>>},
      {fb::OpType_Greater, f, Make<CompareKernel<CmpOp::kGreater, float>>},
      {fb::OpType_Greater, s, Make<CompareKernel<CmpOp::kGreater, int32_t>>},
      {fb::OpType_Less, f, Make<CompareKernel<CmpOp::kLess, float>>},
      {fb::OpType_Less, s, Make<CompareKernel<CmpOp::kLess, int32_t>>},
      {fb::OpType_Not, u, Make<NotKernel>},
      // Found by the condition's dtype (input 0), whatever the branches are.
      {fb::OpType_Where, u, Make<WhereKernel>},
  };
  for (fb::DType d :
       {fb::DType_F32, fb::DType_F16, fb::DType_S32, fb::DType_S16, fb::DType_S8, fb::DType_U8})
    r.push_back({fb::OpType_Cast, d, Make<CastKernel>});
  return r;
}

}  // namespace edgert::engine
