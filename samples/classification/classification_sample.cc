// Classifies one image file with a model whose input is a camera image type (IMG_NV12, ...),
// using only the public runtime API plus OpenCV to decode the file:
//
//   classification_sample MODEL.bin IMAGE.jpg [--top N]
//
// Steps: load the .bin, describe its inputs, decode and resize the image to the input's valid
// height and width, convert BGR to the input's image type straight into the session's aligned
// input buffer, run, read output 0 as dense float32 (padding stripped, dequantized) and print
// the N best classes. Exit codes: 0 ok, 1 failure, 2 usage.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "edgert/image.h"
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
  std::string image_file;
  int top = 5;  // how many classes to print
};

// Fills `params` from argv; false (after printing why) on a usage error.
bool ParseArgs(int argc, char** argv, Params* params) {
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--top") {
      if (i + 1 >= argc) {
        std::cerr << "--top needs a value\n";
        return false;
      }
      const std::string value = argv[++i];
      char* end = nullptr;
      const long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n < 1 || n > 1000000) {
        std::cerr << "--top must be a positive integer, got '" << value << "'\n";
        return false;
      }
      params->top = static_cast<int>(n);
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::cerr << "unknown option " << arg << "\n";
      return false;
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) {
    std::cerr << "expected MODEL.bin and IMAGE, got " << positional.size() << " file argument(s)\n";
    return false;
  }
  params->model_file = positional[0];
  params->image_file = positional[1];
  return true;
}

// The input's height and width from its valid shape (N,H,W,C or N,C,H,W).
void ImageSize(const edgert::TensorDesc& desc, int64_t* height, int64_t* width) {
  const bool nchw = desc.layout == edgert::Layout::kNCHW;
  *height = desc.valid_shape[nchw ? 2 : 1];
  *width = desc.valid_shape[nchw ? 3 : 2];
}

// Decodes `path` as BGR24 and resizes it to height x width (INTER_LINEAR, as infer does).
edgert::Result<cv::Mat> LoadBgrImage(const std::string& path, int64_t height, int64_t width) {
  // cv::imread returns an empty Mat both for a missing file and an undecodable one.
  if (!std::ifstream(path, std::ios::binary)) return edgert::FileError(path + ": cannot open");
  cv::Mat decoded = cv::imread(path, cv::IMREAD_COLOR);
  if (decoded.empty())
    return edgert::InputError(path + ": not an image OpenCV can decode (JPEG, PNG or BMP)");
  std::cout << "image " << path << ": " << decoded.cols << "x" << decoded.rows;
  if (decoded.rows == height && decoded.cols == width) {
    std::cout << ", no resize\n";
    return decoded;
  }
  cv::Mat resized;
  cv::resize(decoded, resized, cv::Size(static_cast<int>(width), static_cast<int>(height)), 0, 0,
             cv::INTER_LINEAR);
  std::cout << ", resized to " << width << "x" << height << "\n";
  return resized;
}

// The indices of the `n` largest scores, best first; ties go to the lower index.
std::vector<size_t> TopN(const std::vector<float>& scores, size_t n) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  n = std::min(n, order.size());
  std::partial_sort(
      order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
      [&](size_t a, size_t b) { return scores[a] != scores[b] ? scores[a] > scores[b] : a < b; });
  order.resize(n);
  return order;
}

edgert::Status Classify(const Params& params) {
  EDGERT_ASSIGN_OR_RETURN(auto file, edgert::ModelFile::Open(params.model_file));
  EDGERT_ASSIGN_OR_RETURN(auto model, file->GetModel());
  std::cout << "model '" << model->name() << "' from " << params.model_file << "\n";
  for (size_t i = 0; i < model->input_count(); ++i) {
    const edgert::TensorDesc& d = model->inputs()[i];
    std::cout << "input " << i << " '" << d.name << "': " << edgert::TensorTypeName(d.type) << " "
              << edgert::LayoutName(d.layout) << ", valid " << edgert::ShapeToString(d.valid_shape)
              << ", aligned " << edgert::ShapeToString(d.aligned_shape) << ", "
              << d.aligned_byte_size << " bytes\n";
  }
  if (model->input_count() != 1 || model->output_count() < 1)
    return edgert::InvalidArgument(params.model_file +
                                   ": this sample needs a model with one input "
                                   "and at least one output, got " +
                                   std::to_string(model->input_count()) + " and " +
                                   std::to_string(model->output_count()));
  const edgert::TensorDesc& in = model->inputs()[0];
  if (!edgert::IsImageType(in.type))
    return edgert::InvalidArgument(params.model_file + ": input '" + in.name + "' is " +
                                   edgert::TensorTypeName(in.type) +
                                   ", not an IMG_* image input (featuremap_sample feeds those)");
  // The YUV range the model expects is part of its compiled preprocessing.
  EDGERT_ASSIGN_OR_RETURN(const edgert::ColorRange range,
                          edgert::ParseColorRange(model->preprocess()[0].input_space_and_range));

  int64_t height = 0, width = 0;
  ImageSize(in, &height, &width);
  EDGERT_ASSIGN_OR_RETURN(const cv::Mat bgr, LoadBgrImage(params.image_file, height, width));

  EDGERT_ASSIGN_OR_RETURN(auto session, edgert::Session::Create(model));
  // Convert straight into the session's aligned input buffer: no intermediate copy, and the
  // conversion writes the row padding (zeros) itself.
  auto* input = static_cast<uint8_t*>(session->input_data(0));
  edgert::Status s = edgert::ConvertBgr24ToInput(
      bgr.ptr<uint8_t>(0), static_cast<int64_t>(bgr.step[0]), bgr.cols, bgr.rows, range, in, input);
  if (!s.ok()) return edgert::Status(s.code(), params.image_file + ": " + s.message());
  std::cout << "converted to " << edgert::TensorTypeName(in.type) << " ("
            << edgert::ColorRangeName(range) << ")\n";
  EDGERT_RETURN_IF_ERROR(session->Run());

  const edgert::TensorDesc& out = model->outputs()[0];
  std::vector<float> scores;
  EDGERT_RETURN_IF_ERROR(edgert::ReadOutputF32(out, session->output_data(0), &scores));
  std::cout << "output 0 '" << out.name << "': " << edgert::TensorTypeName(out.type) << ", valid "
            << edgert::ShapeToString(out.valid_shape) << ", " << scores.size() << " scores\n";
  std::cout << "top-" << std::min(static_cast<size_t>(params.top), scores.size()) << ":\n";
  const std::vector<size_t> best = TopN(scores, static_cast<size_t>(params.top));
  for (size_t rank = 0; rank < best.size(); ++rank)
    std::cout << "  #" << rank + 1 << " class " << best[rank] << " score " << scores[best[rank]]
              << "\n";
  return edgert::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  Params params;
  if (!ParseArgs(argc, argv, &params)) {
    std::cerr << "usage: classification_sample MODEL.bin IMAGE.jpg [--top N]\n";
    return kExitUsage;
  }
  try {
    const edgert::Status s = Classify(params);
    if (!s.ok()) {
      std::cerr << "classification_sample: " << s.ToString() << "\n";
      return kExitFailure;
    }
  } catch (const std::exception& e) {  // OpenCV and std::bad_alloc throw
    std::cerr << "classification_sample: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}
