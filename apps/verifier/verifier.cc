#include "verifier/verifier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "common/dump.h"
#include "common/html_report.h"
#include "common/inputs.h"
#include "common/open_model.h"
#include "common/report.h"
#include "edgert/model.h"
#include "edgert/session.h"

namespace edgert::app {
namespace {

constexpr const char* kTool = "verifier";
namespace fs = std::filesystem;

const char* kHelpEpilog =
    R"(Verdict: an output passes when its cosine similarity >= --cos_threshold, NaN/Inf appear
at the same positions on both sides, EVERY element satisfies
    |a - ref| <= atol + rtol * |ref|
and, when --decimal is given, every element agrees to that many decimal places
(|a - ref| < 1.5 * 10^-decimal, hb_model_verifier's strict check). Default tolerances, per
tensor: float outputs atol = 1e-3 x max|ref| (--atol_of_max), rtol = 1e-3; int8 outputs (run
mode) atol = one quantization step of the output, rtol = 0. --atol sets atol absolutely, --rtol
sets rtol. A single element off by more than that fails the tensor, whatever the cosine.
"tol_use" is the worst element's |a - ref| / (atol + rtol*|ref|): <= 1 passes, and 1 - tol_use
is the margin left. Intermediate tensors (--compare_dir with intermediate/ dumps) are judged by
cosine only. Cosine is taken over the elements finite on both sides; two all-zero tensors have
cosine 1, one all-zero tensor 0.
The last line is PASSED or FAILED; the exit code is 0 on PASSED, 1 on FAILED or any error
(unreadable or wrongly shaped files, an index.json naming a file outside its folder), 2 on usage
(a threshold that is NaN or out of range).
)";

struct Row {
  std::string name;
  std::string op;  // intermediate mode: op type
  std::vector<int64_t> shape;
  CompareResult r;
  Tolerance tol;  // the element tolerance this tensor was judged with
  bool pass = false;
  std::string error;  // size mismatch or unreadable file: fails the tensor
};

bool Passes(const CompareResult& r, const VerifierParams& p) {
  if (!(r.cosine >= p.cos_threshold) || r.nonfinite_mismatch) return false;
  if (r.tol_mismatch) return false;
  if (p.tol.decimal >= 0 && r.decimal_mismatch) return false;
  return true;
}

// The element tolerance for one tensor (VerifierParams): `quant` is the output's quantization
// in run mode (int8 outputs get one step), null when unknown.
Tolerance TensorTolerance(const VerifierParams& p, const std::vector<float>& ref,
                          const Quantization* quant) {
  Tolerance t = p.tol;
  if (p.atol_given) return t;
  if (quant && quant->quantized()) {
    t.atol = *std::max_element(quant->scale.begin(), quant->scale.end());
    if (!p.rtol_given) t.rtol = 0;
    return t;
  }
  double max_ref = 0;
  for (float v : ref)
    if (std::isfinite(v)) max_ref = std::max(max_ref, static_cast<double>(std::fabs(v)));
  t.atol = p.atol_of_max * max_ref;
  return t;
}

// Reads a dump or reference of `dtype` elements as floats; at most `max_bytes` are read.
Result<std::vector<float>> ReadFloatFile(const std::string& path,
                                         TensorType dtype = TensorType::kF32,
                                         uint64_t max_bytes = kMaxFileBytes,
                                         const std::string& limit_reason = "") {
  auto bytes = ReadFile(path, max_bytes, limit_reason);
  if (!bytes.ok()) return bytes.status();
  const size_t es = ElementSize(dtype);
  if (bytes->size() % es)
    return InputError(path + ": " + std::to_string(bytes->size()) +
                      " bytes is not a whole number of " + TensorTypeName(dtype) + " elements");
  std::vector<float> v(bytes->size() / es);
  for (size_t i = 0; i < v.size(); ++i) {
    const uint8_t* p = bytes->data() + i * es;
    switch (dtype) {
      case TensorType::kF32:
        std::memcpy(&v[i], p, 4);
        break;
      case TensorType::kS8:
        v[i] = static_cast<float>(static_cast<int8_t>(*p));
        break;
      case TensorType::kS32: {
        int32_t x;
        std::memcpy(&x, p, 4);
        v[i] = static_cast<float>(x);
        break;
      }
      default:
        v[i] = *p;
        break;
    }
  }
  return v;
}

Row CompareNamed(const std::string& name, const std::vector<int64_t>& shape,
                 const std::vector<float>& a, const std::vector<float>& b, const VerifierParams& p,
                 const Quantization* quant = nullptr) {
  Row row;
  row.name = name;
  row.shape = shape;
  if (a.size() != b.size()) {
    row.error = "size mismatch: " + std::to_string(a.size()) + " elements vs reference " +
                std::to_string(b.size()) + " elements";
    return row;
  }
  row.tol = TensorTolerance(p, b, quant);
  row.r = Compare(a, b, row.tol);
  row.pass = Passes(row.r, p);
  return row;
}

void PrintTable(std::ostream& out, const std::vector<Row>& rows, const VerifierParams& p) {
  const std::streamsize saved_precision = out.precision();
  out << std::left << std::setw(40) << "tensor" << std::right << std::setw(12) << "cosine"
      << std::setw(13) << "max_abs"
      << "  " << std::left << std::setw(16) << "at" << std::right << std::setw(12) << "max_rel"
      << std::setw(12) << "mean_abs" << std::setw(12) << "rmse" << std::setw(10) << "nan a/b"
      << std::setw(10) << "inf a/b" << std::setw(11) << "mismatch" << std::setw(10) << "tol_use"
      << "  verdict\n";
  for (const Row& r : rows) {
    std::string label = r.name + (r.op.empty() ? "" : " [" + r.op + "]");
    if (label.size() > 39) label = label.substr(0, 36) + "...";
    out << std::left << std::setw(40) << label << std::right;
    if (!r.error.empty()) {
      out << "  ERROR: " << r.error << "\n";
      continue;
    }
    const CompareResult& c = r.r;
    out << std::setw(12) << std::setprecision(6) << std::fixed << c.cosine << std::setw(13)
        << std::scientific << std::setprecision(4) << c.max_abs_error << "  " << std::left
        << std::setw(16) << IndexString(c.max_abs_index, r.shape) << std::right << std::setw(12)
        << c.max_rel_error << std::setw(12) << c.mean_abs_error << std::setw(12) << c.rmse
        << std::setw(10) << (std::to_string(c.nan_a) + "/" + std::to_string(c.nan_b))
        << std::setw(10) << (std::to_string(c.inf_a) + "/" + std::to_string(c.inf_b))
        << std::setw(11)
        << (p.tol.decimal >= 0 ? c.tol_mismatch + c.decimal_mismatch : c.tol_mismatch) << std::fixed
        << std::setprecision(3) << std::setw(10) << c.tol_use << "  " << (r.pass ? "pass" : "FAIL")
        << "\n";
    out.unsetf(std::ios::floatfield);
  }
  out.precision(saved_precision);
}

nlohmann::json RowJson(const Row& r) {
  nlohmann::json j = {{"name", r.name}, {"pass", r.pass}};
  if (!r.op.empty()) j["op_type"] = r.op;
  if (!r.error.empty()) {
    j["error"] = r.error;
    return j;
  }
  const CompareResult& c = r.r;
  j.update({{"count", c.count},
            {"cosine", c.cosine},
            {"max_abs_error", c.max_abs_error},
            {"max_abs_index", IndexString(c.max_abs_index, r.shape)},
            {"max_rel_error", c.max_rel_error},
            {"mean_abs_error", c.mean_abs_error},
            {"rmse", c.rmse},
            {"nan_count", {c.nan_a, c.nan_b}},
            {"inf_count", {c.inf_a, c.inf_b}},
            {"atol", r.tol.atol},
            {"rtol", r.tol.rtol},
            {"tolerance_use",
             std::isfinite(c.tol_use) ? nlohmann::json(c.tol_use) : nlohmann::json("inf")},
            {"tolerance_mismatches", c.tol_mismatch},
            {"decimal_mismatches", c.decimal_mismatch}});
  return j;
}

// Mode 1: run the model and compare its outputs with reference files.
Status RunAndCompare(const VerifierParams& p, std::vector<Row>* rows) {
  auto opened = OpenModel(p.model);
  if (!opened.ok()) return opened.status();
  const Model& m = *opened->model();
  auto inputs = LoadInputs(m, p.input_file);
  if (!inputs.ok()) return inputs.status();
  std::vector<std::string> refs = SplitList(p.ref_file);
  if (!p.ref_dir.empty()) {
    refs.clear();
    for (size_t o = 0; o < m.output_count(); ++o)
      refs.push_back(p.ref_dir + "/model_infer_output_" + std::to_string(o) + "_" +
                     SanitizeName(m.outputs()[o].name) + ".bin");
  }
  if (refs.size() != m.output_count())
    return InvalidArgument("--ref_file has " + std::to_string(refs.size()) + " file(s), model '" +
                           m.name() + "' has " + std::to_string(m.output_count()) + " output(s)");
  for (const auto& r : refs)
    if (!fs::exists(r)) return FileError("reference file " + r + " does not exist");
  auto session = Session::Create(opened->model());
  if (!session.ok()) return session.status();
  EDGERT_RETURN_IF_ERROR(SetInputs(**session, *inputs));
  EDGERT_RETURN_IF_ERROR((*session)->Run());
  for (size_t o = 0; o < m.output_count(); ++o) {
    const TensorDesc& d = m.outputs()[o];
    std::vector<float> got;
    EDGERT_RETURN_IF_ERROR((*session)->GetOutput(o, &got));
    // A reference larger than the output (twice over, so the size error below still says both
    // sizes) is refused before it is read.
    auto ref = ReadFloatFile(
        refs[o], TensorType::kF32, got.size() * 4 * 2 + 4096,
        "twice the " + std::to_string(got.size() * 4) + " bytes of output '" + d.name + "'");
    if (!ref.ok()) return ref.status();
    if (ref->size() != got.size())
      return InputError("reference " + refs[o] + " for output " + std::to_string(o) + " '" +
                        d.name + "' has " + std::to_string(ref->size() * 4) + " bytes (" +
                        std::to_string(ref->size()) + " float32), the output has valid shape " +
                        ShapeToString(d.valid_shape) + " = " + std::to_string(got.size()) +
                        " float32 (" + std::to_string(got.size() * 4) + " bytes)");
    rows->push_back(CompareNamed(d.name, d.valid_shape, got, *ref, p,
                                 d.type == TensorType::kS8 ? &d.quant : nullptr));
  }
  return Status::Ok();
}

// `dir`/`name` when `name` is a plain file name (no '/', not "." or "..") whose real path
// (symlinks resolved) is inside `dir`; else an error naming `where` (e.g. index.json's entry).
Result<std::string> PathInside(const std::string& dir, const std::string& name,
                               const std::string& where) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    return FormatError(where + ": '" + name + "' is not a plain file name inside " + dir);
  std::error_code ec;
  const fs::path real_dir = fs::canonical(dir, ec);
  if (ec) return FileError(dir + ": " + ec.message());
  const fs::path real = fs::weakly_canonical(real_dir / name, ec);
  if (ec) return FileError(dir + "/" + name + ": " + ec.message());
  if (real.parent_path() != real_dir)
    return FormatError(where + ": " + dir + "/" + name + " leads outside " + dir + " (to " +
                       real.string() + ")");
  return dir + "/" + name;
}

// One node of an intermediate/index.json (infer --dump_intermediate).
struct IndexNode {
  std::string node, op_type, source_op, file, dtype;
  std::vector<int64_t> shape;
};

// Reads and checks `dir`/index.json: an object whose "nodes" is an array of objects with string
// "node", "file" (a file name inside `dir`), "dtype", optional string "op_type"/"source_op",
// and "shape", an array of non-negative integers. Anything else is an error naming the file and
// the entry.
Result<std::vector<IndexNode>> ReadIndex(const std::string& dir) {
  const std::string path = dir + "/index.json";
  EDGERT_ASSIGN_OR_RETURN(std::string text, ReadFileString(path, uint64_t{64} << 20));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return FormatError(path + ": not valid JSON");
  if (!j.is_object() || !j.contains("nodes") || !j["nodes"].is_array())
    return FormatError(path + ": expected an object with a \"nodes\" array");
  std::vector<IndexNode> nodes;
  for (size_t i = 0; i < j["nodes"].size(); ++i) {
    const nlohmann::json& n = j["nodes"][i];
    const std::string where = path + ": nodes[" + std::to_string(i) + "]";
    if (!n.is_object()) return FormatError(where + " is not an object");
    IndexNode e;
    for (auto [key, out, required] :
         {std::tuple<const char*, std::string*, bool>{"node", &e.node, true},
          {"file", &e.file, true},
          {"dtype", &e.dtype, true},
          {"op_type", &e.op_type, false},
          {"source_op", &e.source_op, false}}) {
      if (!n.contains(key)) {
        if (required) return FormatError(where + " has no \"" + key + "\"");
        continue;
      }
      if (!n[key].is_string()) return FormatError(where + ": \"" + key + "\" is not a string");
      *out = n[key].get<std::string>();
    }
    if (!n.contains("shape") || !n["shape"].is_array())
      return FormatError(where + " ('" + e.node + "'): \"shape\" is not an array");
    for (const auto& d : n["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        return FormatError(where + " ('" + e.node + "'): \"shape\" holds " + d.dump() +
                           ", not a non-negative integer");
      e.shape.push_back(d.get<int64_t>());
    }
    EDGERT_ASSIGN_OR_RETURN(e.file, PathInside(dir, e.file, where + " ('" + e.node + "') file"));
    nodes.push_back(std::move(e));
  }
  return nodes;
}

// Mode 2: compare two dump directories.
Status CompareDirs(const VerifierParams& p, std::vector<Row>* rows, std::string* first_divergence,
                   std::vector<Row>* inter_rows) {
  const std::string& a = p.compare_dir[0];
  const std::string& b = p.compare_dir[1];
  for (const auto& d : {a, b})
    if (!fs::is_directory(d)) return FileError(d + ": not a directory");
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(a, ec)) {
    const std::string n = e.path().filename().string();
    if (e.is_regular_file(ec) && n.size() > 4 && n.substr(n.size() - 4) == ".bin")
      names.push_back(n);
  }
  if (ec) return FileError(a + ": cannot list: " + ec.message());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (!fs::exists(b + "/" + n)) {
      spdlog::warn("{} is only in {}", n, a);
      continue;
    }
    EDGERT_ASSIGN_OR_RETURN(const std::string pa, PathInside(a, n, a));
    EDGERT_ASSIGN_OR_RETURN(const std::string pb, PathInside(b, n, b));
    auto va = ReadFloatFile(pa);
    auto vb = ReadFloatFile(pb);
    if (!va.ok()) return va.status();
    if (!vb.ok()) return vb.status();
    Row row = CompareNamed(n, {}, *va, *vb, p);
    if (!row.error.empty())
      return InputError(n + ": " + a + " has " + std::to_string(va->size() * 4) + " bytes, " + b +
                        " has " + std::to_string(vb->size() * 4) + " bytes");
    rows->push_back(row);
  }
  const std::string ia = a + "/intermediate", ib = b + "/intermediate";
  if (fs::exists(ia + "/index.json") && fs::exists(ib + "/index.json")) {
    EDGERT_ASSIGN_OR_RETURN(std::vector<IndexNode> ja, ReadIndex(ia));
    EDGERT_ASSIGN_OR_RETURN(std::vector<IndexNode> jb, ReadIndex(ib));
    std::map<std::string, const IndexNode*> in_b;
    for (const IndexNode& n : jb) in_b[n.node] = &n;
    for (const IndexNode& n : ja) {
      auto it = in_b.find(n.node);
      if (it == in_b.end()) continue;
      auto dtype_a = ParseTensorType(n.dtype);
      auto dtype_b = ParseTensorType(it->second->dtype);
      if (!dtype_a.ok() || !dtype_b.ok())
        return FormatError("bad dtype in index.json for " + n.node);
      auto va = ReadFloatFile(n.file, *dtype_a);
      auto vb = ReadFloatFile(it->second->file, *dtype_b);
      if (!va.ok()) return va.status();
      if (!vb.ok()) return vb.status();
      Row row = CompareNamed(n.node, n.shape, *va, *vb, p);
      row.op = n.op_type;
      // Intermediate tensors are judged by cosine only: they carry no tolerance contract.
      if (row.error.empty())
        row.pass = row.r.cosine >= p.cos_threshold && !row.r.nonfinite_mismatch;
      if (!row.pass && first_divergence->empty())
        *first_divergence = "node '" + n.node + "' (" + row.op + ", from " + n.source_op + ")";
      inter_rows->push_back(row);
    }
  }
  if (rows->empty() && inter_rows->empty())
    return InputError(a + " and " + b + " share no .bin dump files");
  return Status::Ok();
}

std::vector<std::string> RowCells(const Row& r) {
  if (!r.error.empty()) return {r.name, r.op, "", "", "", "", "", "ERROR: " + r.error};
  const CompareResult& c = r.r;
  return {r.name,
          r.op,
          html::Num(c.cosine, 8),
          html::Num(c.max_abs_error, 4),
          IndexString(c.max_abs_index, r.shape),
          html::Num(c.mean_abs_error, 4),
          html::Num(c.rmse, 4),
          r.pass ? "pass" : "FAIL"};
}

html::Table RowsTable(const std::vector<Row>& rows, int marked) {
  html::Table t;
  t.header = {"tensor", "op", "cosine", "max_abs", "at", "mean_abs", "rmse", "verdict"};
  for (size_t i = 0; i < rows.size(); ++i) {
    t.rows.push_back(RowCells(rows[i]));
    t.row_classes.push_back(std::string(rows[i].pass ? "pass" : "fail") +
                            (static_cast<int>(i) == marked ? " marked" : ""));
  }
  return t;
}

// The --html report: the verdict, the per-layer cosine line (execution order, the first
// diverging node marked, max abs error on the right axis), and the tables behind it.
Status WriteHtmlReport(const VerifierParams& p, const std::vector<Row>& rows,
                       const std::vector<Row>& inter, const std::string& verdict) {
  std::ostringstream body;
  const bool passed = verdict.rfind("PASSED", 0) == 0;
  body << "<p class=\"verdict " << (passed ? "pass" : "fail") << "\"><b>" << html::Escape(verdict)
       << "</b></p>\n<p class=\"note\">";
  if (p.compare_dir.empty())
    body << "model " << html::Escape(p.model.model_file) << " run on " << html::Escape(p.input_file)
         << ", compared with " << html::Escape(p.ref_dir.empty() ? p.ref_file : p.ref_dir);
  else
    body << html::Escape(p.compare_dir[0]) << " compared with " << html::Escape(p.compare_dir[1]);
  body << "; cosine threshold " << p.cos_threshold << "</p>\n";
  // The first diverging node: the first intermediate that fails, as in the text report.
  int first = -1;
  for (size_t i = 0; i < inter.size() && first < 0; ++i)
    if (!inter[i].pass) first = static_cast<int>(i);
  if (!inter.empty()) {
    html::LineChart c;
    c.title = "Per-layer cosine similarity, execution order";
    c.x_label = "node (execution order; hover a point for its name)";
    c.y_label = "cosine";
    c.y2_label = "max abs error";
    html::Series cos{"cosine", {}, false}, err{"max abs error", {}, true};
    for (const Row& r : inter) {
      c.x_names.push_back(r.name + (r.op.empty() ? "" : " [" + r.op + "]"));
      cos.values.push_back(r.error.empty() ? r.r.cosine : NAN);
      err.values.push_back(r.error.empty() ? r.r.max_abs_error : NAN);
    }
    c.series = {cos, err};
    c.has_threshold = true;
    c.threshold = p.cos_threshold;
    c.marked = first;
    if (first >= 0) c.marked_label = "first divergence: " + c.x_names[static_cast<size_t>(first)];
    body << html::LineChartSvg(c);
    body << "<p class=\"first-divergence\">"
         << (first >= 0 ? "First diverging node: <b>" +
                              html::Escape(c.x_names[static_cast<size_t>(first)]) + "</b>"
                        : std::string("No intermediate output below the threshold."))
         << "</p>\n";
  }
  if (!rows.empty()) body << "<h2>Outputs</h2>\n" << html::TableHtml(RowsTable(rows, -1));
  if (!inter.empty()) {
    body << "<h2>Intermediate outputs in execution order</h2>\n"
         << html::TableHtml(RowsTable(inter, first));
  }
  return html::WritePage(p.html, html::Page("edgert verifier report", body.str()));
}

// Checks the flags together and resolves what they imply: which mode, and whether --atol/--rtol
// were given (then element mismatches fail the verdict). `vm` says what the command line held.
Status Validate(const po::variables_map& vm, VerifierParams& p) {
  p.atol_given = vm.count("atol") > 0;
  p.rtol_given = vm.count("rtol") > 0;
  const bool dump_mode = !p.compare_dir.empty();
  if (dump_mode && p.compare_dir.size() != 2)
    return InvalidArgument("--compare_dir takes two directories");
  if (dump_mode && (!p.model.model_file.empty() || !p.ref_file.empty() || !p.ref_dir.empty()))
    return InvalidArgument(
        "--compare_dir cannot be combined with --model_file/--ref_file/--ref_dir");
  if (!dump_mode && p.model.model_file.empty())
    return InvalidArgument(
        "give --model_file with --input_file and --ref_file/--ref_dir, or --compare_dir A B");
  if (!dump_mode && p.ref_file.empty() == p.ref_dir.empty())
    return InvalidArgument("give exactly one of --ref_file and --ref_dir");
  // Written so that NaN fails every range check.
  auto in = [](double v, double lo, double hi) { return v >= lo && v <= hi; };
  if (!in(p.cos_threshold, -1, 1))
    return InvalidArgument("--cos_threshold must be in [-1, 1], got " +
                           std::to_string(p.cos_threshold));
  if (!in(p.tol.atol, 0, 1e30))
    return InvalidArgument("--atol must be a finite number >= 0, got " +
                           std::to_string(p.tol.atol));
  if (!in(p.tol.rtol, 0, 1e30))
    return InvalidArgument("--rtol must be a finite number >= 0, got " +
                           std::to_string(p.tol.rtol));
  if (!in(p.atol_of_max, 0, 1))
    return InvalidArgument("--atol_of_max must be in [0, 1], got " + std::to_string(p.atol_of_max));
  if (vm.count("decimal") && (p.tol.decimal < 0 || p.tol.decimal > 15))
    return InvalidArgument("--decimal must be in 0..15, got " + std::to_string(p.tol.decimal));
  return Status::Ok();
}

// The element rule in words, as the report prints it.
std::string ElementRule(const VerifierParams& p) {
  std::ostringstream os;
  os << "|a - ref| <= atol + rtol*|ref| for every element, atol = ";
  if (p.atol_given)
    os << p.tol.atol;
  else
    os << p.atol_of_max << " x max|ref| (float) or one quantization step (int8 outputs)";
  os << ", rtol = " << p.tol.rtol;
  if (!p.rtol_given && !p.atol_given) os << " (0 for int8 outputs)";
  return os.str();
}

// Runs or reads both sides, compares, and prints the tables and the verdict line.
int Verify(const VerifierParams& p, std::ostream& out) {
  const bool dump_mode = !p.compare_dir.empty();
  std::vector<Row> rows, inter;
  std::string first_divergence;
  Status s = dump_mode ? CompareDirs(p, &rows, &first_divergence, &inter) : RunAndCompare(p, &rows);
  if (!s.ok()) {
    spdlog::error("{}", s.ToString());
    out << "FAILED: " << s.message() << "\n";
    return ExitCodeFor(s);
  }
  std::vector<std::string> failed;
  for (const Row& r : rows)
    if (!r.pass) failed.push_back(r.name);
  if (p.json) {
    nlohmann::json j = {{"mode", dump_mode ? "compare_dir" : "run"},
                        {"cos_threshold", p.cos_threshold},
                        {"element_rule", ElementRule(p)},
                        {"decimal", p.tol.decimal}};
    j["tensors"] = nlohmann::json::array();
    for (const Row& r : rows) j["tensors"].push_back(RowJson(r));
    j["intermediate"] = nlohmann::json::array();
    for (const Row& r : inter) j["intermediate"].push_back(RowJson(r));
    j["first_divergence"] = first_divergence;
    j["passed"] = rows.empty()
                      ? std::all_of(inter.begin(), inter.end(), [](const Row& r) { return r.pass; })
                      : failed.empty();
    out << JsonText(j) << "\n";
  } else {
    if (!rows.empty()) PrintTable(out, rows, p);
    if (!inter.empty()) {
      out << "\nIntermediate outputs in execution order (" << inter.size() << " node(s)):\n";
      PrintTable(out, inter, p);
    }
  }
  if (!rows.empty() && !p.json) out << "element rule: " << ElementRule(p) << "\n";
  if (!first_divergence.empty())
    out << "first divergence: " << first_divergence << "\n";
  else if (!inter.empty())
    out << "no intermediate output below cosine " << p.cos_threshold << "\n";
  // The verdict is on the outputs; intermediates decide only when no output was compared.
  if (rows.empty())
    for (const Row& r : inter)
      if (!r.pass) failed.push_back(r.name);
  std::ostringstream verdict;
  if (failed.empty()) {
    verdict << "PASSED: " << rows.size() << " tensor(s)"
            << (inter.empty() ? "" : " and " + std::to_string(inter.size()) + " intermediate(s)")
            << " compared, all within thresholds (cosine >= " << p.cos_threshold
            << (rows.empty() ? "" : ", every element within atol + rtol*|ref|") << ")";
  } else {
    std::string list;
    for (const auto& f : failed) list += (list.empty() ? "'" : ", '") + f + "'";
    verdict << "FAILED: tensor(s) " << list
            << (first_divergence.empty() ? "" : "; first divergence at " + first_divergence);
  }
  if (!p.html.empty()) {
    if (Status hs = WriteHtmlReport(p, rows, inter, verdict.str()); !hs.ok()) {
      spdlog::error("{}", hs.ToString());
      out << "FAILED: --html " << p.html << ": " << hs.message() << "\n";
      return kExitFailure;
    }
    spdlog::info("wrote {}", p.html);
  }
  out << verdict.str() << "\n";
  return failed.empty() ? kExitOk : kExitFailure;
}

}  // namespace

int RunVerifier(int argc, char** argv, std::ostream& out) {
  VerifierParams p;
  po::options_description run_opts("Run and compare");
  AddModelOptions(run_opts, p.model);
  AddInputFileOption(run_opts, &p.input_file,
                     "required with --model_file, unless the model has no inputs");
  run_opts.add_options()(
      "ref_file", po::value(&p.ref_file)->value_name("FILES"),
      "comma list of reference outputs in model output order: np.tofile float32, valid shape")(
      "ref_dir", po::value(&p.ref_dir)->value_name("DIR"),
      "directory of references named model_infer_output_<idx>_<name>.bin (infer's dumps)");
  po::options_description dump_opts("Compare dumps");
  dump_opts.add_options()(
      "compare_dir", po::value(&p.compare_dir)->multitoken()->value_name("A B"),
      "compare two dump directories (infer --enable_dump, --dump_intermediate): every .bin "
      "they share, and with intermediate/ dumps the first node that diverges");
  po::options_description thr_opts("Thresholds");
  thr_opts.add_options()("cos_threshold",
                         po::value(&p.cos_threshold)->default_value(p.cos_threshold),
                         "minimum cosine similarity per tensor, in [-1, 1]")(
      "atol", po::value(&p.tol.atol),
      "absolute tolerance per element, finite >= 0 (default: --atol_of_max x max|ref| for "
      "float outputs, one quantization step for int8 outputs); every element must satisfy "
      "|a - ref| <= atol + rtol*|ref|")(
      "atol_of_max", po::value(&p.atol_of_max)->default_value(p.atol_of_max),
      "without --atol: atol = this x max|ref| of each float tensor, in [0, 1]")(
      "rtol", po::value(&p.tol.rtol),
      "relative tolerance per element, finite >= 0 (default 1e-3; 0 for int8 outputs)")(
      "decimal", po::value(&p.tol.decimal),
      "also hb_model_verifier's strict check: every element agrees to N (0..15) decimal "
      "places")("json", po::bool_switch(&p.json),
                "print the results as JSON (the verdict line still ends the output)")(
      "html", po::value(&p.html)->value_name("FILE"),
      "also write a self-contained HTML report to FILE: per-layer cosine line in execution "
      "order with the first diverging node marked and max abs error on a second axis, and the "
      "tables (no scripts, no network)");
  po::options_description all;
  all.add(run_opts).add(dump_opts).add(thr_opts);
  const ToolInfo info{kTool,
                      "--model_file m.bin --input_file a.bin --ref_file out0.bin[,...]\n"
                      "       verifier --compare_dir BOARD_DIR PC_DIR",
                      kHelpEpilog};
  ToolSteps steps;
  steps.validate = [&](const po::variables_map& vm) { return Validate(vm, p); };
  steps.log_settings = [&] {
    spdlog::info(
        "=== verifier settings === mode: {}, cos_threshold: {}, element rule: {}, decimal: {}",
        p.compare_dir.empty() ? "run and compare" : "compare dumps", p.cos_threshold,
        ElementRule(p), p.tol.decimal);
  };
  steps.work = [&] { return Verify(p, out); };
  return RunTool(argc, argv, info, all, steps);
}

}  // namespace edgert::app
