// Portable kernels for integer tensors (int_kernels.h). The arithmetic follows ONNX and ONNX
// Runtime: Add/Sub/Mul wrap around (two's complement, as numpy), Div truncates toward zero, Mod
// takes the divisor's sign (fmod 0) or the dividend's (fmod 1). Where C++ would have undefined
// behaviour the result is defined here and documented in IR.md: a zero divisor fails Run with an
// error naming the node, and the one overflowing quotient (INT32_MIN / -1) wraps around like Mul.
// Integer values are widened to int64_t for the operation, so no intermediate overflows.
#include "engine/int_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "engine/broadcast.h"

namespace edgert::engine {
namespace {

template <typename T>
constexpr fb::DType kDType = fb::DType_F32;
template <>
constexpr fb::DType kDType<int32_t> = fb::DType_S32;
template <>
constexpr fb::DType kDType<int16_t> = fb::DType_S16;
template <>
constexpr fb::DType kDType<int8_t> = fb::DType_S8;
template <>
constexpr fb::DType kDType<uint8_t> = fb::DType_U8;

// The rule that keeps quantized and plain integer tensors apart (IR.md "Integer tensors"): a
// node of precision Int8 holds quantized S8 values and is the int8 provider's alone.
Status DeclineInt8Node(const NodeContext& ctx) {
  if (ctx.node && ctx.node->precision() == fb::Precision_Int8)
    return ctx.Decline("an Int8 (quantized) node; integer kernels take Float nodes only");
  return Status::Ok();
}

// Every tensor in `ts` (nullptr skipped) has dtype `want`.
Status CheckDTypes(const NodeContext& ctx, std::initializer_list<const TensorRef*> ts,
                   fb::DType want) {
  for (const TensorRef* t : ts)
    if (t && t->dtype != want)
      return ctx.Error("'" + t->name + "' is " + fb::EnumNameDType(t->dtype) + ", expected " +
                       fb::EnumNameDType(want) + " like input 0");
  return Status::Ok();
}

// A one-input op's x and y, both of dtype `want`; declines an Int8 node.
Status UnaryTensors(const NodeContext& ctx, fb::DType want, TensorRef** x, TensorRef** y) {
  EDGERT_RETURN_IF_ERROR(DeclineInt8Node(ctx));
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  *x = ctx.In(0);
  *y = ctx.Out(0);
  return CheckDTypes(ctx, {*x, *y}, want);
}

// Integer ops have no fused activation range (the compiler fuses none into them).
Status CheckNoActivation(const NodeContext& ctx) {
  Range act;
  EDGERT_RETURN_IF_ERROR(ReadActivationRange(ctx, &act));
  if (std::isfinite(act.lo) || std::isfinite(act.hi))
    return ctx.Error("an integer op cannot have a fused activation range");
  return Status::Ok();
}

// A whole number in T's range, from a float attribute; false when v is not one.
template <typename T>
bool ExactInt(double v, T* out) {
  if (!(v == std::floor(v)) || v < static_cast<double>(std::numeric_limits<T>::lowest()) ||
      v > static_cast<double>(std::numeric_limits<T>::max()))
    return false;
  *out = static_cast<T>(v);
  return true;
}

// The broadcast loop every binary kernel here shares: y (Y) = a (A) op b (B) elementwise over
// the BroadcastPlan, with Derived::Op(x, e, &y) returning false for an element that has no
// defined result; Run then fails with Derived::Failure() (only that path builds a message).
template <typename Derived, typename A, typename B, typename Y>
class BinaryLoopKernel : public Kernel {
 public:
  Status Run(pthreadpool_t) override {
    const Derived& d = static_cast<const Derived&>(*this);
    const bool ok =
        plan_.ForEachRow(reinterpret_cast<const A*>(a_->data), reinterpret_cast<const B*>(b_->data),
                         reinterpret_cast<Y*>(y_->data),
                         [&d](const A* a, int64_t sa, const B* b, int64_t sb, Y* y, int64_t n) {
                           bool row_ok = true;
                           for (int64_t i = 0; i < n; ++i)
                             row_ok &= d.Op(a[i * sa], b[i * sb], &y[i]);
                           return row_ok;
                         });
    if (!ok) return EngineError(where_ + ": " + d.Failure());
    return Status::Ok();
  }

 protected:
  // Takes the node's tensors (arity checked by the caller) and plans the loop.
  Status InitLoop(const NodeContext& ctx) {
    a_ = ctx.In(0);
    b_ = ctx.In(1);
    y_ = ctx.Out(0);
    where_ = ctx.Where();
    return plan_.Init(ctx, *a_, *b_, *y_);
  }

  TensorRef *a_ = nullptr, *b_ = nullptr, *y_ = nullptr;

 private:
  std::string where_;
  BroadcastPlan plan_;
};

// ---- Add, Sub, Mul, Div, Mod ----

enum class IntOp { kAdd, kSub, kMul, kDiv, kMod };

template <typename T, IntOp kOp>
class IntBinaryKernel : public BinaryLoopKernel<IntBinaryKernel<T, kOp>, T, T, T> {
  static constexpr bool kFloat = std::is_floating_point_v<T>;

 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(DeclineInt8Node(ctx));
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
    EDGERT_RETURN_IF_ERROR(CheckDTypes(ctx, {ctx.In(0), ctx.In(1), ctx.Out(0)}, kDType<T>));
    EDGERT_RETURN_IF_ERROR(CheckNoActivation(ctx));
    if (kOp == IntOp::kMod) {
      const int64_t fmod = ctx.Int("fmod", 0);
      if (fmod != 0 && fmod != 1)
        return ctx.Error("fmod must be 0 or 1, got " + std::to_string(fmod));
      fmod_ = fmod == 1;
      if (kFloat && !fmod_) return ctx.Error("a float Mod needs fmod 1 (ONNX)");
    }
    return this->InitLoop(ctx);
  }
  std::string Failure() const {
    return "division by zero: input 1 '" + this->b_->name + "' holds a zero divisor";
  }

  // y = x op d; false for a zero integer divisor (y is then 0).
  bool Op(T x, T d, T* y) const {
    if constexpr (kFloat) {
      *y = std::fmod(x, d);  // float Mod (fmod 1): the dividend's sign, NaN for d == 0
      return true;
    } else {
      const int64_t a = x, b = d;
      int64_t r = 0;
      switch (kOp) {
        case IntOp::kAdd:
          r = a + b;
          break;
        case IntOp::kSub:
          r = a - b;
          break;
        case IntOp::kMul:
          r = a * b;
          break;
        case IntOp::kDiv:
        case IntOp::kMod:
          if (b == 0) {
            *y = 0;
            return false;
          }
          if (kOp == IntOp::kDiv) {
            r = a / b;  // toward zero
          } else {
            r = a % b;                                           // the dividend's sign (C, fmod 1)
            if (!fmod_ && r != 0 && (r < 0) != (b < 0)) r += b;  // the divisor's sign
          }
          break;
      }
      // Back to T modulo 2^bits: the two's complement wraparound of numpy and ONNX Runtime.
      *y = static_cast<T>(static_cast<std::make_unsigned_t<T>>(static_cast<uint64_t>(r)));
      return true;
    }
  }

  bool fmod_ = false;
};

// ---- Pow ----

// x^e for an integer base: exact with wraparound for e >= 0 (square and multiply modulo 2^32);
// for e < 0, 1 / x^-e truncated toward zero (1, +-1 for -1, 0 otherwise); false for 0^negative.
bool IntPow(int64_t x, int64_t e, int32_t* y) {
  if (e < 0) {
    if (x == 0) return false;
    *y = x == 1 ? 1 : x == -1 ? ((-e) % 2 ? -1 : 1) : 0;
    return true;
  }
  uint32_t base = static_cast<uint32_t>(x), r = 1;
  for (uint64_t k = static_cast<uint64_t>(e); k; k >>= 1) {
    if (k & 1) r *= base;
    base *= base;
  }
  *y = static_cast<int32_t>(r);
  return true;
}

// y = a ^ b with y of a's dtype; the exponent may have any dtype (ONNX Pow's T and T1).
//  - F32 base: pow in float (F32 exponent) or in double (integer exponent), then the node's
//    activation range;
//  - S32 base, integer exponent: IntPow;
//  - S32 base, F32 exponent: pow in double truncated toward zero, saturated to the S32 range
//    (NaN gives 0).
template <typename B, typename E>
class PowImpl : public BinaryLoopKernel<PowImpl<B, E>, B, E, B> {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    if constexpr (std::is_floating_point_v<B>) {
      Range act;
      EDGERT_RETURN_IF_ERROR(ReadActivationRange(ctx, &act));
      lo_ = act.lo;
      hi_ = act.hi;
    } else {
      EDGERT_RETURN_IF_ERROR(CheckNoActivation(ctx));
    }
    return this->InitLoop(ctx);
  }
  std::string Failure() const {
    return "zero to a negative power (input 0 '" + this->a_->name + "' holds 0 where input 1 '" +
           this->b_->name + "' is negative)";
  }

  bool Op(B x, E e, B* y) const {
    if constexpr (std::is_floating_point_v<B>) {
      const float v =
          std::is_floating_point_v<E>
              ? std::pow(x, static_cast<float>(e))
              : static_cast<float>(std::pow(static_cast<double>(x), static_cast<double>(e)));
      *y = std::min(std::max(v, lo_), hi_);
      return true;
    } else if constexpr (std::is_floating_point_v<E>) {
      const double v = std::trunc(std::pow(static_cast<double>(x), static_cast<double>(e)));
      constexpr double kLo = std::numeric_limits<B>::lowest(), kHi = std::numeric_limits<B>::max();
      *y = std::isnan(v) ? 0 : static_cast<B>(std::min(std::max(v, kLo), kHi));
      return true;
    } else {
      int32_t r = 0;
      const bool ok = IntPow(x, e, &r);
      *y = static_cast<B>(r);
      return ok;
    }
  }

 private:
  float lo_ = -std::numeric_limits<float>::infinity();
  float hi_ = std::numeric_limits<float>::infinity();
};

// The Pow entry for base dtype B: picks PowImpl<B, exponent type> from input 1's dtype, so an
// exponent's bytes are always read as what they are.
template <typename B>
class PowKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(DeclineInt8Node(ctx));
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
    EDGERT_RETURN_IF_ERROR(CheckDTypes(ctx, {ctx.In(0), ctx.Out(0)}, kDType<B>));
    const fb::DType e = ctx.In(1)->dtype;
    auto pick = [&](auto exponent) {
      using E = decltype(exponent);
      if (e == kDType<E>) impl_ = std::make_unique<PowImpl<B, E>>();
    };
    pick(float{});
    pick(int32_t{});
    pick(int16_t{});
    pick(int8_t{});
    pick(uint8_t{});
    if (!impl_)
      return ctx.Error("exponent '" + ctx.In(1)->name + "' is " + fb::EnumNameDType(e) +
                       ", expected F32, S32, S16, S8 or U8");
    return impl_->Setup(ctx, pool);
  }
  Status Run(pthreadpool_t pool) override { return impl_->Run(pool); }

 private:
  std::unique_ptr<Kernel> impl_;
};

// ---- Clamp ----

// y = min(max(x, min), max) with the float attributes min/max taken in the integer domain
// exactly: [ceil(min), floor(max)] within T's range.
template <typename T>
class IntClampKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(UnaryTensors(ctx, kDType<T>, &x_, &y_));
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y_, x_->shape));
    Range r;
    EDGERT_RETURN_IF_ERROR(ReadRange(ctx, "min", "max", &r));
    constexpr double kLo = std::numeric_limits<T>::lowest(), kHi = std::numeric_limits<T>::max();
    const double lo = std::min(std::max(std::ceil(static_cast<double>(r.lo)), kLo), kHi);
    const double hi = std::min(std::max(std::floor(static_cast<double>(r.hi)), kLo), kHi);
    if (lo > hi)
      return ctx.Error("no integer lies in [min, max] = [" + std::to_string(r.lo) + ", " +
                       std::to_string(r.hi) + "]");
    lo_ = static_cast<T>(lo);
    hi_ = static_cast<T>(hi);
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    const T* x = reinterpret_cast<const T*>(x_->data);
    T* y = reinterpret_cast<T*>(y_->data);
    const T lo = lo_, hi = hi_;
    for (int64_t i = 0, n = x_->elements(); i < n; ++i) y[i] = std::min(std::max(x[i], lo), hi);
    return Status::Ok();
  }

 private:
  TensorRef *x_ = nullptr, *y_ = nullptr;
  T lo_ = 0, hi_ = 0;
};

// ---- MaxPool2D ----

// NHWC max pooling with the f32 op's attributes (ReadPoolGeometry); padding cells never count.
template <typename T>
class IntMaxPoolKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(UnaryTensors(ctx, kDType<T>, &x_, &y_));
    EDGERT_RETURN_IF_ERROR(CheckNoActivation(ctx));
    return ReadPoolGeometry(ctx, false, &g_);
  }
  Status Run(pthreadpool_t) override {
    const PoolGeometry& g = g_;
    const T* x = reinterpret_cast<const T*>(x_->data);
    T* y = reinterpret_cast<T*>(y_->data);
    for (int64_t b = 0; b < g.n; ++b)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          T* o = y + ((b * g.oh + oy) * g.ow + ox) * g.c;
          std::fill(o, o + g.c, std::numeric_limits<T>::lowest());
          const int64_t y0 = oy * g.sh - g.pt, x0 = ox * g.sw - g.pl;
          for (int64_t ky = 0; ky < g.kh; ++ky) {
            const int64_t iy = y0 + ky * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (int64_t kx = 0; kx < g.kw; ++kx) {
              const int64_t ix = x0 + kx * g.dw;
              if (ix < 0 || ix >= g.w) continue;
              const T* row = x + ((b * g.h + iy) * g.w + ix) * g.c;
              for (int64_t k = 0; k < g.c; ++k) o[k] = std::max(o[k], row[k]);
            }
          }
        }
    return Status::Ok();
  }

 private:
  TensorRef *x_ = nullptr, *y_ = nullptr;
  PoolGeometry g_;
};

template <typename T>
bool IntFill(const NodeContext& ctx, float value, uint8_t fill[8], Status* s) {
  T v{};
  if (!ExactInt<T>(value, &v)) {
    *s = ctx.Error("pad value " + std::to_string(value) + " is not a " +
                   fb::EnumNameDType(kDType<T>) + " value");
    return false;
  }
  std::memcpy(fill, &v, sizeof(T));
  return true;
}

// Registers op for every integer dtype with kernel template K.
template <template <typename> class K>
void AddIntDTypes(fb::OpType op, std::vector<KernelRegistration>* r) {
  r->push_back({op, fb::DType_S32, Make<K<int32_t>>});
  r->push_back({op, fb::DType_S16, Make<K<int16_t>>});
  r->push_back({op, fb::DType_S8, Make<K<int8_t>>});
  r->push_back({op, fb::DType_U8, Make<K<uint8_t>>});
}

template <typename T>
using AddK = IntBinaryKernel<T, IntOp::kAdd>;
template <typename T>
using SubK = IntBinaryKernel<T, IntOp::kSub>;
template <typename T>
using MulK = IntBinaryKernel<T, IntOp::kMul>;
template <typename T>
using DivK = IntBinaryKernel<T, IntOp::kDiv>;
template <typename T>
using ModK = IntBinaryKernel<T, IntOp::kMod>;

}  // namespace

Status PadFillBytes(const NodeContext& ctx, fb::DType dtype, float value, uint8_t fill[8]) {
  std::memset(fill, 0, 8);
  Status s = Status::Ok();
  switch (dtype) {
    case fb::DType_F32:
      std::memcpy(fill, &value, sizeof(float));
      return s;
    case fb::DType_S32:
      IntFill<int32_t>(ctx, value, fill, &s);
      return s;
    case fb::DType_S16:
      IntFill<int16_t>(ctx, value, fill, &s);
      return s;
    case fb::DType_S8:
      IntFill<int8_t>(ctx, value, fill, &s);
      return s;
    case fb::DType_U8:
      IntFill<uint8_t>(ctx, value, fill, &s);
      return s;
    default:
      if (value != 0.f)
        return ctx.Error(std::string("a ") + fb::EnumNameDType(dtype) +
                         " Pad can only pad with 0, got " + std::to_string(value));
      return s;
  }
}

std::vector<KernelRegistration> IntKernels() {
  std::vector<KernelRegistration> r;
  AddIntDTypes<AddK>(fb::OpType_Add, &r);
  AddIntDTypes<SubK>(fb::OpType_Sub, &r);
  AddIntDTypes<MulK>(fb::OpType_Mul, &r);
  AddIntDTypes<DivK>(fb::OpType_Div, &r);
  AddIntDTypes<ModK>(fb::OpType_Mod, &r);
  r.push_back({fb::OpType_Mod, fb::DType_F32, Make<ModK<float>>});
  r.push_back({fb::OpType_Pow, fb::DType_F32, Make<PowKernel<float>>});
  r.push_back({fb::OpType_Pow, fb::DType_S32, Make<PowKernel<int32_t>>});
  AddIntDTypes<IntClampKernel>(fb::OpType_Clamp, &r);
  AddIntDTypes<IntMaxPoolKernel>(fb::OpType_MaxPool2D, &r);
  return r;
}

}  // namespace edgert::engine
