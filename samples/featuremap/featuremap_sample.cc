// Runs a model with one F32 featuremap input on a raw float32 file and writes every output,
// showing how the aligned (padded) buffers are laid out:
//
//   featuremap_sample MODEL.bin INPUT.bin OUT_DIR
//
// INPUT.bin is np.tofile float32 data of the input's VALID shape. Each output is written to
// OUT_DIR/output_<i>_<name>.bin (OUT_DIR is created if missing) as np.tofile float32 of its valid
// shape:
//   np.fromfile(path, np.float32).reshape(valid_shape)
// Exit codes: 0 ok, 1 failure, 2 usage.
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "edgert/model.h"
#include "edgert/session.h"
#include "edgert/status.h"
#include "edgert/tensor_desc.h"
#include "edgert/tensor_io.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct Params {
  std::string model_file;
  std::string input_file;
  std::string output_dir;
};

edgert::Result<std::vector<char>> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return edgert::FileError(path + ": cannot open: " + std::strerror(errno));
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) return edgert::FileError(path + ": read failed");
  return bytes;
}

edgert::Status WriteFile(const std::string& path, const void* data, size_t bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return edgert::FileError(path + ": cannot create: " + std::strerror(errno));
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  f.close();
  if (!f) return edgert::FileError(path + ": write failed");
  return edgert::Status::Ok();
}

// Byte offset, in the aligned buffer, of every row of the valid data in row-major order. A row
// is the valid part of the innermost dimension; its elements are contiguous (innermost stride =
// element size). The offset of valid index (i0, ..., i{r-2}) is sum(ik * stride[k]): the strides
// already count the padded (aligned) extents, so this is right whichever dimensions are padded.
std::vector<int64_t> AlignedRowOffsets(const edgert::TensorDesc& desc) {
  const size_t rank = desc.valid_shape.size();
  std::vector<int64_t> offsets = {0};
  for (size_t k = 0; k + 1 < rank; ++k) {
    std::vector<int64_t> next;
    next.reserve(offsets.size() * static_cast<size_t>(desc.valid_shape[k]));
    for (int64_t base : offsets)
      for (int64_t i = 0; i < desc.valid_shape[k]; ++i) next.push_back(base + i * desc.stride[k]);
    offsets.swap(next);
  }
  return offsets;
}

// Bytes of one valid row: the innermost dimension's valid extent times its stride (the element
// size); a scalar is one element.
int64_t ValidRowBytes(const edgert::TensorDesc& desc) {
  if (desc.valid_shape.empty()) return static_cast<int64_t>(edgert::ElementSize(desc.type));
  return desc.valid_shape.back() * desc.stride.back();
}

// Copies dense valid-shape data into the aligned input buffer `aligned` of `desc`, row by row.
void CopyToAligned(const edgert::TensorDesc& desc, const uint8_t* dense, uint8_t* aligned) {
  // Padding bytes must be zero (the alignment contract); clearing the whole buffer first also
  // covers padding in outer dimensions, between rows as well as at their ends.
  std::memset(aligned, 0, static_cast<size_t>(desc.aligned_byte_size));
  const int64_t row_bytes = ValidRowBytes(desc);
  const std::vector<int64_t> offsets = AlignedRowOffsets(desc);
  for (size_t r = 0; r < offsets.size(); ++r)
    std::memcpy(aligned + offsets[r], dense + static_cast<int64_t>(r) * row_bytes,
                static_cast<size_t>(row_bytes));
}

// The reverse: gathers the valid rows of an aligned output buffer into dense data
// (desc.valid_byte_size() bytes), skipping the padding.
void CopyFromAligned(const edgert::TensorDesc& desc, const uint8_t* aligned, uint8_t* dense) {
  const int64_t row_bytes = ValidRowBytes(desc);
  const std::vector<int64_t> offsets = AlignedRowOffsets(desc);
  for (size_t r = 0; r < offsets.size(); ++r)
    std::memcpy(dense + static_cast<int64_t>(r) * row_bytes, aligned + offsets[r],
                static_cast<size_t>(row_bytes));
}

// One line on how `desc`'s rows are padded, e.g. "rows of 36 bytes padded to 48 (12 bytes)".
std::string PaddingNote(const edgert::TensorDesc& desc) {
  if (desc.aligned_byte_size == desc.valid_byte_size()) return "no padding";
  const int64_t row_stride =
      desc.stride.size() < 2 ? desc.aligned_byte_size : desc.stride[desc.stride.size() - 2];
  return "rows of " + std::to_string(ValidRowBytes(desc)) + " bytes, " +
         std::to_string(row_stride) + " bytes apart (" +
         std::to_string(desc.aligned_byte_size - desc.valid_byte_size()) + " padding bytes in all)";
}

void Describe(const char* what, size_t i, const edgert::TensorDesc& d) {
  std::cout << what << " " << i << " '" << d.name << "': " << edgert::TensorTypeName(d.type) << " "
            << edgert::LayoutName(d.layout) << ", valid " << edgert::ShapeToString(d.valid_shape)
            << ", aligned " << edgert::ShapeToString(d.aligned_shape) << ", stride ("
            << edgert::ShapeToString(d.stride) << ") bytes; " << PaddingNote(d) << "\n";
}

// A file name for output i: the tensor name with anything but [A-Za-z0-9_.-] replaced by '_'.
std::string OutputFileName(size_t i, const std::string& name) {
  std::string safe = name;
  for (char& c : safe) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) c = '_';
  }
  return "output_" + std::to_string(i) + "_" + safe + ".bin";
}

edgert::Status RunFeaturemap(const Params& params) {
  EDGERT_ASSIGN_OR_RETURN(auto file, edgert::ModelFile::Open(params.model_file));
  EDGERT_ASSIGN_OR_RETURN(auto model, file->GetModel());
  std::cout << "model '" << model->name() << "' from " << params.model_file << "\n";
  for (size_t i = 0; i < model->input_count(); ++i) Describe("input", i, model->inputs()[i]);
  for (size_t i = 0; i < model->output_count(); ++i) Describe("output", i, model->outputs()[i]);
  if (model->input_count() != 1)
    return edgert::InvalidArgument(params.model_file +
                                   ": this sample feeds one input, the model "
                                   "has " +
                                   std::to_string(model->input_count()));
  const edgert::TensorDesc& in = model->inputs()[0];
  if (in.type != edgert::TensorType::kF32)
    return edgert::InvalidArgument(params.model_file + ": input '" + in.name + "' is " +
                                   edgert::TensorTypeName(in.type) +
                                   "; this sample feeds F32 featuremaps");

  EDGERT_ASSIGN_OR_RETURN(const std::vector<char> dense, ReadFile(params.input_file));
  if (static_cast<int64_t>(dense.size()) != in.valid_byte_size())
    return edgert::InputError(params.input_file + ": input '" + in.name + "' expects " +
                              std::to_string(in.valid_byte_size()) + " bytes (float32 valid " +
                              edgert::ShapeToString(in.valid_shape) + "), got " +
                              std::to_string(dense.size()));

  EDGERT_ASSIGN_OR_RETURN(auto session, edgert::Session::Create(model));
  // Session::SetInput would pad the rows too (PrepareInput); the explicit copy shows how.
  CopyToAligned(in, reinterpret_cast<const uint8_t*>(dense.data()),
                static_cast<uint8_t*>(session->input_data(0)));
  EDGERT_RETURN_IF_ERROR(session->Run());

  std::error_code ec;
  std::filesystem::create_directories(params.output_dir, ec);
  if (ec) return edgert::FileError(params.output_dir + ": cannot create: " + ec.message());
  for (size_t i = 0; i < model->output_count(); ++i) {
    const edgert::TensorDesc& out = model->outputs()[i];
    std::vector<float> values(static_cast<size_t>(out.element_count()));
    const auto* aligned = static_cast<const uint8_t*>(session->output_data(i));
    if (out.type == edgert::TensorType::kF32 && !out.quant.quantized()) {
      CopyFromAligned(out, aligned, reinterpret_cast<uint8_t*>(values.data()));
    } else {
      // Other types need a conversion: ReadOutputF32 strips the padding the same way and
      // dequantizes, real = scale * (q - zero_point), per tensor or per axis.
      EDGERT_RETURN_IF_ERROR(edgert::ReadOutputF32(out, aligned, &values));
    }
    const std::string path = params.output_dir + "/" + OutputFileName(i, out.name);
    EDGERT_RETURN_IF_ERROR(WriteFile(path, values.data(), values.size() * sizeof(float)));
    std::cout << "wrote " << path << ": float32 " << edgert::ShapeToString(out.valid_shape)
              << (out.quant.quantized() ? " (dequantized)" : "") << "\n";
  }
  return edgert::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: featuremap_sample MODEL.bin INPUT.bin OUT_DIR\n";
    return kExitUsage;
  }
  try {
    const edgert::Status s = RunFeaturemap(Params{argv[1], argv[2], argv[3]});
    if (!s.ok()) {
      std::cerr << "featuremap_sample: " << s.ToString() << "\n";
      return kExitFailure;
    }
  } catch (const std::exception& e) {  // std::bad_alloc, stream errors
    std::cerr << "featuremap_sample: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}
