// Portable kernels for the tensor ops of issue 14 (IR.md "Ops"): MatMul of two run-time tensors,
// Gather, Expand, Tile, ArgMax and ArgMin.
// MatMul is the hot op of attention (QKᵀ and AV), so its inner loop is register-blocked: a tile
// of kMr rows by kNr columns of y stays in registers while k runs, and gcc vectorizes the kNr
// lanes (SSE/AVX on x86, NEON on aarch64).
#include "engine/tensor_kernels.h"

#include <algorithm>
#include <cstring>

#include "engine/copy_plan.h"

namespace edgert::engine {

Status ReadMatMulGeometry(const NodeContext& ctx, MatMulGeometry* g) {
  const TensorRef* a = ctx.In(0);
  const TensorRef* b = ctx.In(1);
  const TensorRef* y = ctx.Out(0);
  const int r = a->rank();
  if (r < 2 || b->rank() != r)
    return ctx.Error("inputs " + ShapeToString(a->shape) + " and " + ShapeToString(b->shape) +
                     " must have one rank >= 2");
  g->m = a->shape[r - 2];
  g->k = a->shape[r - 1];
  g->n = b->shape[r - 1];
  if (b->shape[r - 2] != g->k)
    return ctx.Error("inputs " + ShapeToString(a->shape) + " and " + ShapeToString(b->shape) +
                     " do not multiply (K " + std::to_string(g->k) + " vs " +
                     std::to_string(b->shape[r - 2]) + ")");
  g->batch.assign(a->shape.begin(), a->shape.end() - 2);
  for (int d = 0; d < r - 2; ++d) {
    const int64_t da = a->shape[d], db = b->shape[d];
    if (da != db && da != 1 && db != 1)
      return ctx.Error("batch dims of " + ShapeToString(a->shape) + " and " +
                       ShapeToString(b->shape) + " do not broadcast");
    g->batch[d] = da == 1 ? db : da;
  }
  std::vector<int64_t> want = g->batch;
  want.push_back(g->m);
  want.push_back(g->n);
  EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y, want));
  int64_t count = 1;
  for (int64_t d : g->batch) count *= d;
  g->a_offset.assign(static_cast<size_t>(count), 0);
  g->b_offset.assign(static_cast<size_t>(count), 0);
  // Element strides of each batch dim in a and b; 0 where that input broadcasts.
  int64_t sa = g->m * g->k, sb = g->k * g->n;
  std::vector<int64_t> stride_a(g->batch.size()), stride_b(g->batch.size());
  for (size_t d = g->batch.size(); d-- > 0;) {
    stride_a[d] = a->shape[d] == 1 ? 0 : sa;
    stride_b[d] = b->shape[d] == 1 ? 0 : sb;
    sa *= a->shape[d];
    sb *= b->shape[d];
  }
  for (int64_t i = 0; i < count; ++i) {
    int64_t rest = i, oa = 0, ob = 0;
    for (size_t d = g->batch.size(); d-- > 0;) {
      const int64_t idx = rest % g->batch[d];
      rest /= g->batch[d];
      oa += idx * stride_a[d];
      ob += idx * stride_b[d];
    }
    g->a_offset[static_cast<size_t>(i)] = oa;
    g->b_offset[static_cast<size_t>(i)] = ob;
  }
  return Status::Ok();
}

namespace {

Status NormalizeAxis(const NodeContext& ctx, int64_t axis, int rank, int* out) {
  if (axis < -rank || axis >= rank)
    return ctx.Error("axis " + std::to_string(axis) + " is out of range for rank " +
                     std::to_string(rank));
  *out = static_cast<int>(axis < 0 ? axis + rank : axis);
  return Status::Ok();
}

constexpr int64_t kMr = 4;
constexpr int64_t kNr = 16;

// y[rows x nr] = a[rows x k] · b[k x nr] for rows <= kMr, nr <= kNr; lda/ldb/ldy in elements.
template <int64_t kRows>
void Tile(const float* a, int64_t lda, const float* b, int64_t ldb, float* y, int64_t ldy,
          int64_t k, int64_t nr) {
  float acc[kRows][kNr] = {};
  if (nr == kNr) {
    for (int64_t p = 0; p < k; ++p) {
      const float* bp = b + p * ldb;
      for (int64_t r = 0; r < kRows; ++r) {
        const float av = a[r * lda + p];
        for (int64_t j = 0; j < kNr; ++j) acc[r][j] += av * bp[j];
      }
    }
  } else {
    for (int64_t p = 0; p < k; ++p) {
      const float* bp = b + p * ldb;
      for (int64_t r = 0; r < kRows; ++r) {
        const float av = a[r * lda + p];
        for (int64_t j = 0; j < nr; ++j) acc[r][j] += av * bp[j];
      }
    }
  }
  for (int64_t r = 0; r < kRows; ++r) std::memcpy(y + r * ldy, acc[r], sizeof(float) * nr);
}

// y = a · b for one matrix pair, rows [m0, m1) of y.
void MatMulRows(const float* a, const float* b, float* y, int64_t m0, int64_t m1, int64_t k,
                int64_t n) {
  for (int64_t j = 0; j < n; j += kNr) {
    const int64_t nr = std::min(kNr, n - j);
    int64_t i = m0;
    for (; i + kMr <= m1; i += kMr) Tile<kMr>(a + i * k, k, b + j, n, y + i * n + j, n, k, nr);
    for (; i < m1; ++i) Tile<1>(a + i * k, k, b + j, n, y + i * n + j, n, k, nr);
  }
}

class MatMulKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
    a_ = ctx.In(0);
    b_ = ctx.In(1);
    y_ = ctx.Out(0);
    if (a_->dtype != fb::DType_F32 || b_->dtype != fb::DType_F32 || y_->dtype != fb::DType_F32)
      return ctx.Error("MatMul needs F32 inputs and output");
    EDGERT_RETURN_IF_ERROR(ReadMatMulGeometry(ctx, &g_));
    // Threads split each matrix into bands of kMr-row tiles.
    bands_ = std::max<int64_t>(1, (g_.m + 4 * kMr - 1) / (4 * kMr));
    return Status::Ok();
  }
  Status Run(pthreadpool_t pool) override {
    pthreadpool_parallelize_2d(
        pool,
        [](void* self, size_t batch, size_t band) {
          static_cast<MatMulKernel*>(self)->RunBand(static_cast<int64_t>(batch),
                                                    static_cast<int64_t>(band));
        },
        this, g_.a_offset.size(), static_cast<size_t>(bands_), 0);
    return Status::Ok();
  }

 private:
  void RunBand(int64_t batch, int64_t band) const {
    const int64_t rows = 4 * kMr;
    const int64_t m0 = band * rows, m1 = std::min(g_.m, m0 + rows);
    MatMulRows(a_->f32() + g_.a_offset[static_cast<size_t>(batch)],
               b_->f32() + g_.b_offset[static_cast<size_t>(batch)], y_->f32() + batch * g_.m * g_.n,
               m0, m1, g_.k, g_.n);
  }

  TensorRef *a_ = nullptr, *b_ = nullptr, *y_ = nullptr;
  MatMulGeometry g_;
  int64_t bands_ = 1;
};

// Gather along `axis` with constant S32 indices, checked at setup to lie in [0, dim).
class GatherKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
    x_ = ctx.In(0);
    y_ = ctx.Out(0);
    const TensorRef* idx = ctx.In(1);
    if (idx->dtype != fb::DType_S32 || !idx->constant)
      return ctx.Error("indices '" + idx->name + "' must be a constant S32 tensor");
    if (y_->dtype != x_->dtype) return ctx.Error("output dtype differs from the input's");
    int axis = 0;
    EDGERT_RETURN_IF_ERROR(NormalizeAxis(ctx, ctx.Int("axis", 0), x_->rank(), &axis));
    std::vector<int64_t> want(x_->shape.begin(), x_->shape.begin() + axis);
    want.insert(want.end(), idx->shape.begin(), idx->shape.end());
    want.insert(want.end(), x_->shape.begin() + axis + 1, x_->shape.end());
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y_, want));
    dim_ = x_->shape[static_cast<size_t>(axis)];
    outer_ = inner_ = 1;
    for (int d = 0; d < axis; ++d) outer_ *= x_->shape[static_cast<size_t>(d)];
    for (int d = axis + 1; d < x_->rank(); ++d) inner_ *= x_->shape[static_cast<size_t>(d)];
    const int32_t* ids = reinterpret_cast<const int32_t*>(idx->data);
    ids_.assign(ids, ids + idx->elements());
    for (size_t i = 0; i < ids_.size(); ++i)
      if (ids_[i] < 0 || ids_[i] >= dim_)
        return ctx.Error("index " + std::to_string(ids_[i]) + " (element " + std::to_string(i) +
                         " of '" + idx->name + "') is out of range [0, " + std::to_string(dim_) +
                         ")");
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    const size_t row = static_cast<size_t>(inner_) * x_->element_size;
    const uint8_t* x = x_->data;
    uint8_t* y = y_->data;
    for (int64_t o = 0; o < outer_; ++o)
      for (int32_t id : ids_) {
        std::memcpy(y, x + (static_cast<size_t>(o * dim_ + id)) * row, row);
        y += row;
      }
    return Status::Ok();
  }

 private:
  TensorRef *x_ = nullptr, *y_ = nullptr;
  std::vector<int32_t> ids_;
  int64_t outer_ = 1, dim_ = 1, inner_ = 1;
};

// A node that is one strided copy, planned at setup.
class PlannedCopyKernel : public Kernel {
 public:
  Status Run(pthreadpool_t) override {
    plan_.Run(src_, dst_);
    return Status::Ok();
  }

 protected:
  CopyPlan plan_;
  const uint8_t* src_ = nullptr;
  uint8_t* dst_ = nullptr;
};

// Expand: x broadcast (numpy, equal rank) to y's shape, as one strided copy that reads the
// broadcast dims with stride 0.
class ExpandKernel : public PlannedCopyKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    const TensorRef* x = ctx.In(0);
    TensorRef* y = ctx.Out(0);
    if (y->dtype != x->dtype) return ctx.Error("output dtype differs from the input's");
    if (x->rank() != y->rank() || x->rank() > kMaxRank)
      return ctx.Error("input " + ShapeToString(x->shape) + " and output " +
                       ShapeToString(y->shape) + " need one rank <= " + std::to_string(kMaxRank));
    const int64_t es = static_cast<int64_t>(x->element_size);
    std::vector<int64_t> src = DenseStrides(x->shape, es);
    for (int d = 0; d < x->rank(); ++d) {
      const size_t k = static_cast<size_t>(d);
      if (x->shape[k] == y->shape[k]) continue;
      if (x->shape[k] != 1)
        return ctx.Error("input " + ShapeToString(x->shape) + " does not broadcast to " +
                         ShapeToString(y->shape));
      src[k] = 0;
    }
    plan_.Init(y->shape, src, DenseStrides(y->shape, es), x->element_size);
    src_ = x->data;
    dst_ = y->data;
    return Status::Ok();
  }
};

// Tile: y[i] = x[i mod x.shape] per dim. Planned as one strided copy over the dims
// [repeat_0, x_0, repeat_1, x_1, ...] (the repeat dims read with stride 0).
class TileKernel : public PlannedCopyKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    const TensorRef* x = ctx.In(0);
    TensorRef* y = ctx.Out(0);
    if (y->dtype != x->dtype) return ctx.Error("output dtype differs from the input's");
    const std::vector<int64_t> reps = ctx.Ints("repeats", {});
    const size_t r = x->shape.size();
    if (reps.size() != r)
      return ctx.Error("repeats has " + std::to_string(reps.size()) +
                       " values for an input of rank " + std::to_string(r));
    std::vector<int64_t> want(r), shape, src, dst;
    for (size_t d = 0; d < r; ++d) {
      if (reps[d] < 1) return ctx.Error("repeats " + ShapeToString(reps) + " must be >= 1");
      want[d] = x->shape[d] * reps[d];
    }
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y, want));
    const int64_t es = static_cast<int64_t>(x->element_size);
    const std::vector<int64_t> xs = DenseStrides(x->shape, es), ys = DenseStrides(y->shape, es);
    for (size_t d = 0; d < r; ++d) {
      if (reps[d] > 1) {
        shape.push_back(reps[d]);
        src.push_back(0);
        dst.push_back(ys[d] * x->shape[d]);
      }
      shape.push_back(x->shape[d]);
      src.push_back(xs[d]);
      dst.push_back(ys[d]);
    }
    size_t kept = 0;  // dims CopyPlan keeps (it drops size-1 dims)
    for (int64_t s : shape) kept += s != 1;
    if (kept > static_cast<size_t>(kMaxRank))
      return ctx.Error("input " + ShapeToString(x->shape) + " with repeats " + ShapeToString(reps) +
                       " needs more than " + std::to_string(kMaxRank) + " copy dims");
    plan_.Init(shape, src, dst, x->element_size);
    src_ = x->data;
    dst_ = y->data;
    return Status::Ok();
  }
};

// ArgMax / ArgMin along `axis` (IR.md): the first extreme index, or the last with
// select_last_index. NaN never wins a comparison, so a NaN at index 0 stays the answer only if
// nothing else beats it.
template <bool kMax>
class ArgKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    x_ = ctx.In(0);
    y_ = ctx.Out(0);
    if (x_->dtype != fb::DType_F32 || y_->dtype != fb::DType_S32)
      return ctx.Error("needs an F32 input and an S32 output");
    int axis = 0;
    EDGERT_RETURN_IF_ERROR(NormalizeAxis(ctx, ctx.Int("axis", 0), x_->rank(), &axis));
    std::vector<int64_t> want = x_->shape;
    if (ctx.Int("keepdims", 1) != 0) {
      want[static_cast<size_t>(axis)] = 1;
    } else {
      want.erase(want.begin() + axis);
    }
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y_, want));
    last_ = ctx.Int("select_last_index", 0) != 0;
    n_ = x_->shape[static_cast<size_t>(axis)];
    if (n_ == 0) return ctx.Error("axis " + std::to_string(axis) + " has no elements");
    outer_ = inner_ = 1;
    for (int d = 0; d < axis; ++d) outer_ *= x_->shape[static_cast<size_t>(d)];
    for (int d = axis + 1; d < x_->rank(); ++d) inner_ *= x_->shape[static_cast<size_t>(d)];
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    const float* x = x_->f32();
    int32_t* y = reinterpret_cast<int32_t*>(y_->data);
    for (int64_t o = 0; o < outer_; ++o)
      for (int64_t i = 0; i < inner_; ++i) {
        const float* xs = x + o * n_ * inner_ + i;
        float best = xs[0];
        int32_t at = 0;
        for (int64_t k = 1; k < n_; ++k) {
          const float v = xs[k * inner_];
          const bool better =
              kMax ? (last_ ? v >= best : v > best) : (last_ ? v <= best : v < best);
          if (better) {
            best = v;
            at = static_cast<int32_t>(k);
          }
        }
        y[o * inner_ + i] = at;
      }
    return Status::Ok();
  }

 private:
  TensorRef *x_ = nullptr, *y_ = nullptr;
  bool last_ = false;
  int64_t outer_ = 1, n_ = 1, inner_ = 1;
};

}  // namespace

std::vector<KernelRegistration> TensorKernels() {
  std::vector<KernelRegistration> r = {
      {fb::OpType_MatMul, fb::DType_F32, Make<MatMulKernel>},
      {fb::OpType_ArgMax, fb::DType_F32, Make<ArgKernel<true>>},
      {fb::OpType_ArgMin, fb::DType_F32, Make<ArgKernel<false>>},
  };
  // Data movement works on bytes, so every dtype.
  for (int d = fb::DType_MIN; d <= fb::DType_MAX; ++d) {
    const fb::DType t = static_cast<fb::DType>(d);
    r.push_back({fb::OpType_Gather, t, Make<GatherKernel>});
    r.push_back({fb::OpType_Expand, t, Make<ExpandKernel>});
    r.push_back({fb::OpType_Tile, t, Make<TileKernel>});
  }
  return r;
}

}  // namespace edgert::engine
