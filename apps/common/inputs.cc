#include "common/inputs.h"

#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <type_traits>

#include "common/file_read.h"
#include "common/image_input.h"
#include "edgert/tensor_io.h"

namespace edgert::app {

std::vector<std::string> SplitList(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(s);
  while (std::getline(is, cur, sep)) {
    const auto b = cur.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    const auto e = cur.find_last_not_of(" \t");
    out.push_back(cur.substr(b, e - b + 1));
  }
  return out;
}

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  std::string tail = s.substr(s.size() - suffix.size());
  for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == suffix;
}

// Stores v as element i of type T; false when T is an integer type whose range does not hold v
// (or v is NaN): converting such a value is undefined behaviour, not a wrap.
template <typename T>
bool Put(std::vector<uint8_t>* out, size_t i, double v) {
  if constexpr (std::is_integral_v<T>) {
    if (!(v >= static_cast<double>(std::numeric_limits<T>::min()) &&
          v <= static_cast<double>(std::numeric_limits<T>::max())))
      return false;
  }
  T t = static_cast<T>(v);
  std::memcpy(out->data() + i * sizeof(T), &t, sizeof(T));
  return true;
}

Result<std::vector<uint8_t>> ParseText(const std::string& path, const std::vector<uint8_t>& text,
                                       const TensorDesc& d) {
  if (IsImageType(d.type) || d.type == TensorType::kF16)
    return InputError(path + ": .txt input is for featuremaps; input '" + d.name + "' is " +
                      TensorTypeName(d.type));
  std::istringstream is(std::string(text.begin(), text.end()));
  std::vector<double> values;
  double v;
  while (is >> v) values.push_back(v);
  if (!is.eof())
    return InputError(path + ": not a number after " + std::to_string(values.size()) + " values");
  if (static_cast<int64_t>(values.size()) != d.element_count())
    return InputError(path + ": input '" + d.name + "' expects " +
                      std::to_string(d.element_count()) + " numbers (valid shape " +
                      ShapeToString(d.valid_shape) + "), the file has " +
                      std::to_string(values.size()));
  std::vector<uint8_t> dense(static_cast<size_t>(d.valid_byte_size()));
  for (size_t i = 0; i < values.size(); ++i) {
    bool fits = true;
    switch (d.type) {
      case TensorType::kF32:
        fits = Put<float>(&dense, i, values[i]);
        break;
      case TensorType::kS8:
        fits = Put<int8_t>(&dense, i, values[i]);
        break;
      case TensorType::kU8:
        fits = Put<uint8_t>(&dense, i, values[i]);
        break;
      case TensorType::kS16:
        fits = Put<int16_t>(&dense, i, values[i]);
        break;
      default:
        fits = Put<int32_t>(&dense, i, values[i]);
        break;
    }
    if (!fits)
      return InputError(path + ": value " + std::to_string(i) + " (" + std::to_string(values[i]) +
                        ") is out of range for input '" + d.name + "' of type " +
                        TensorTypeName(d.type));
  }
  return dense;
}

}  // namespace

Result<std::vector<uint8_t>> LoadInputFile(const std::string& path, const TensorDesc& d,
                                           ColorRange range, std::string* what_happened) {
  if (IsImageFile(path)) return LoadImageInput(path, d, range, what_happened);
  // The largest file the input can take, checked before anything is read: raw data of the
  // valid or the aligned size, or text numbers (at most 64 characters each, 4 KiB of slack).
  const bool txt = EndsWith(path, ".txt");
  const uint64_t raw_max =
      static_cast<uint64_t>(std::max(d.valid_byte_size(), d.aligned_byte_size));
  const uint64_t max_bytes = txt ? static_cast<uint64_t>(d.element_count()) * 64 + 4096 : raw_max;
  const std::string reason =
      "input '" + d.name + "' takes (" +
      (txt ? std::to_string(d.element_count()) + " numbers as text, at most " +
                 std::to_string(max_bytes) + " bytes"
           : std::to_string(d.valid_byte_size()) + " bytes valid or " +
                 std::to_string(d.aligned_byte_size) + " aligned") +
      ")";
  auto bytes = ReadFile(path, max_bytes, reason, "input file");
  if (!bytes.ok()) return bytes.status();
  std::vector<uint8_t> data = std::move(*bytes);
  if (txt) {
    auto dense = ParseText(path, data, d);
    if (!dense.ok()) return dense.status();
    data = std::move(*dense);
  }
  const size_t file_bytes = data.size();
  std::vector<uint8_t> aligned(static_cast<size_t>(d.aligned_byte_size));
  Status s = PrepareInput(d, data.data(), data.size(), aligned.data());
  if (!s.ok()) return InputError(path + ": " + s.message());
  if (what_happened) {
    *what_happened =
        path + ": " + std::to_string(file_bytes) + (txt ? " bytes of text numbers" : " bytes raw") +
        " -> " + TensorTypeName(d.type) + " " + LayoutName(d.layout) + " valid " +
        ShapeToString(d.valid_shape) + ", aligned " + ShapeToString(d.aligned_shape) + ", " +
        (static_cast<int64_t>(data.size()) == d.aligned_byte_size ? "no padding needed"
                                                                  : "padding added");
  }
  return aligned;
}

Result<std::vector<uint8_t>> LoadModelInput(const Model& model, size_t i, const std::string& path,
                                            std::string* what_happened) {
  ColorRange range = ColorRange::kFull;
  if (i < model.preprocess().size() && !model.preprocess()[i].empty()) {
    auto r = ParseColorRange(model.preprocess()[i].input_space_and_range);
    if (!r.ok()) return r.status();
    range = *r;
  }
  return LoadInputFile(path, model.inputs()[i], range, what_happened);
}

Result<std::vector<std::vector<uint8_t>>> LoadInputs(const Model& model,
                                                     const std::string& input_file,
                                                     std::vector<std::string>* what_happened) {
  const std::vector<std::string> files = SplitList(input_file);
  if (files.size() != model.input_count()) {
    std::string names;
    for (const auto& d : model.inputs()) names += (names.empty() ? "'" : ", '") + d.name + "'";
    if (files.empty())
      return InvalidArgument("--input_file is required: model '" + model.name() + "' has " +
                             std::to_string(model.input_count()) + " input(s): " + names);
    return InvalidArgument("--input_file has " + std::to_string(files.size()) +
                           " file(s); model '" + model.name() + "' has " +
                           std::to_string(model.input_count()) + " input(s): " + names);
  }
  std::vector<std::vector<uint8_t>> inputs;
  for (size_t i = 0; i < files.size(); ++i) {
    std::string what;
    auto data = LoadModelInput(model, i, files[i], what_happened ? &what : nullptr);
    if (!data.ok()) return data.status();
    inputs.push_back(std::move(*data));
    if (what_happened) what_happened->push_back(std::move(what));
  }
  return inputs;
}

Status SetInputs(Session& session, const std::vector<std::vector<uint8_t>>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i)
    EDGERT_RETURN_IF_ERROR(session.SetInput(i, inputs[i].data(), inputs[i].size()));
  return Status::Ok();
}

std::vector<uint8_t> RandomInput(const TensorDesc& d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> dense(static_cast<size_t>(d.valid_byte_size()));
  const size_t esize = ElementSize(d.type);
  const size_t n = dense.size() / esize;
  std::uniform_real_distribution<float> unit(-1.f, 1.f);
  for (size_t i = 0; i < n; ++i) {
    switch (d.type) {
      case TensorType::kF32:
        Put<float>(&dense, i, unit(rng));
        break;
      case TensorType::kS16:
        Put<int16_t>(&dense, i, static_cast<int16_t>(rng()));
        break;
      case TensorType::kS32:
        Put<int32_t>(&dense, i, static_cast<int32_t>(rng() % 2001) - 1000);
        break;
      case TensorType::kF16:
        Put<uint16_t>(&dense, i, 0x3C00);
        break;  // 1.0
      default:
        dense[i] = static_cast<uint8_t>(rng());
        break;
    }
  }
  std::vector<uint8_t> aligned(static_cast<size_t>(d.aligned_byte_size));
  (void)PrepareInput(d, dense.data(), dense.size(), aligned.data());
  return aligned;
}

}  // namespace edgert::app
