#include "model_compiler/graph_util.h"

#include <algorithm>

#include "edgert/tensor_desc.h"

namespace edgert::compiler {

int64_t Numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s)
    if (__builtin_mul_overflow(n, d, &n)) return INT64_MAX;  // no UB; the loader refuses it
  return n;
}

Perm IdentityPerm(size_t rank) {
  Perm p(rank);
  for (size_t i = 0; i < rank; ++i) p[i] = static_cast<int>(i);
  return p;
}

bool IsIdentity(const Perm& p) {
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] != static_cast<int>(i)) return false;
  return true;
}

Perm InversePerm(const Perm& p) {
  Perm q(p.size());
  for (size_t i = 0; i < p.size(); ++i) q[p[i]] = static_cast<int>(i);
  return q;
}

Shape Permute(const Shape& s, const Perm& p) {
  Shape out(p.size());
  for (size_t i = 0; i < p.size(); ++i) out[i] = s[p[i]];
  return out;
}

std::vector<int64_t> ToInts(const Perm& p) { return std::vector<int64_t>(p.begin(), p.end()); }

std::string PermToString(const Perm& p) {
  std::string s = "[";
  for (size_t i = 0; i < p.size(); ++i) s += (i ? "," : "") + std::to_string(p[i]);
  return s + "]";
}

Result<Shape> BroadcastShapes(const Shape& a, const Shape& b) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      return InvalidArgument("shapes " + ShapeToString(a) + " and " + ShapeToString(b) +
                             " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> BroadcastOffsets(const Shape& in, const Shape& out) {
  const size_t r = out.size();
  std::vector<int64_t> strides(r, 0);
  int64_t s = 1;
  for (size_t i = in.size(); i-- > 0;) {
    const size_t o = i + (r - in.size());
    strides[o] = in[i] == 1 ? 0 : s;
    s *= in[i];
  }
  std::vector<int64_t> offs(static_cast<size_t>(Numel(out)));
  std::vector<int64_t> idx(r, 0);
  for (size_t k = 0; k < offs.size(); ++k) {
    int64_t off = 0;
    for (size_t i = 0; i < r; ++i) off += idx[i] * strides[i];
    offs[k] = off;
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < out[i]) break;
      idx[i] = 0;
    }
  }
  return offs;
}

}  // namespace edgert::compiler
