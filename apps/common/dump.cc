#include "common/dump.h"

#include <iomanip>
#include <sstream>

#include "edgert_internal/file_io.h"

namespace edgert::app {

std::string SanitizeName(const std::string& name) {
  std::string s = name;
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  return s.empty() ? "unnamed" : s;
}

std::string UniqueDumpName(const std::string& name, std::set<std::string>* taken) {
  const std::string base = SanitizeName(name);
  std::string s = base;
  for (int k = 2; !taken->insert(s).second; ++k) s = base + "_" + std::to_string(k);
  return s;
}

std::string OutputDumpBase(const std::string& dir, size_t idx, const std::string& name) {
  return dir + "/model_infer_output_" + std::to_string(idx) + "_" + SanitizeName(name);
}

Status WriteFloatBin(const std::string& path, const std::vector<float>& values) {
  return WriteFileAtomic(path, values.data(), values.size() * sizeof(float));
}

Status WriteFloatTxt(const std::string& path, const std::vector<float>& values,
                     const std::vector<int64_t>& shape, int precision, int axis) {
  int64_t per_line = 1;
  for (size_t i = static_cast<size_t>(std::max(axis, 0)); i < shape.size(); ++i)
    per_line *= shape[i];
  std::ostringstream os;
  os << std::setprecision(precision);
  for (size_t i = 0; i < values.size(); ++i) {
    os << values[i];
    os << (((static_cast<int64_t>(i) + 1) % per_line == 0) ? '\n' : ' ');
  }
  const std::string s = os.str();
  return WriteFileAtomic(path, s.data(), s.size());
}

}  // namespace edgert::app
