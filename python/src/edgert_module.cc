// The `edgert._edgert` extension: the public C++ API (edgert/model.h, session.h, tensor_io.h,
// image.h) mapped one to one for Python. Numpy arrays in and out, Status turned into an
// exception, the GIL released while the engine runs. No logic of its own: padding, dequantizing,
// image conversion and dump files are the library's and the tools' (apps/common) functions.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/dump.h"
#include "common/image_decode.h"
#include "common/image_input.h"
#include "edgert/image.h"
#include "edgert/model.h"
#include "edgert/session.h"
#include "edgert/status.h"
#include "edgert/tensor_desc.h"
#include "edgert/tensor_io.h"

namespace py = pybind11;

namespace edgert::python {
namespace {

// A caller's mistake (argument, shape, dtype, size) is a ValueError; a file, format, engine or
// unsupported-op error a RuntimeError. Both carry Status::ToString().
[[noreturn]] void Throw(const Status& s) {
  if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kInputError)
    throw py::value_error(s.ToString());
  throw std::runtime_error(s.ToString());
}

void Check(const Status& s) {
  if (!s.ok()) Throw(s);
}

template <typename T>
T Unwrap(Result<T> r) {
  if (!r.ok()) Throw(r.status());
  return std::move(r).value();
}

// The numpy dtype that holds one element of `type` (IMG_* buffers are bytes).
py::dtype DtypeOf(TensorType type) {
  switch (type) {
    case TensorType::kS8:
      return py::dtype::of<int8_t>();
    case TensorType::kS16:
      return py::dtype::of<int16_t>();
    case TensorType::kS32:
      return py::dtype::of<int32_t>();
    case TensorType::kF16:
      return py::dtype("float16");
    case TensorType::kF32:
      return py::dtype::of<float>();
    default:
      return py::dtype::of<uint8_t>();
  }
}

py::tuple Tuple(const std::vector<int64_t>& v) { return py::cast(v); }

std::string ArrayText(const py::array& a) {
  std::string shape = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i)
    shape += std::to_string(a.shape(i)) + (a.ndim() == 1 || i + 1 < a.ndim() ? "," : "");
  return "shape " + shape + ") " + py::str(a.dtype()).cast<std::string>() + ", " +
         std::to_string(a.nbytes()) + " bytes";
}

// hbDNNTensorProperties / pyeasy_dnn's `properties`: a TensorDesc as read-only attributes.
struct Properties {
  TensorDesc desc;
};

// A model input or output description: `.name`, `.properties`.
struct Tensor {
  TensorDesc desc;
  std::string color_range;  // inputs with preprocessing: "regular" or "bt601_video"
};

// One output of forward(): the aligned buffer as stored (`raw`, a copy owned by this object),
// `buffer` (a view of raw: stored type, valid shape) and numpy() (float32, dequantized).
struct Output {
  TensorDesc desc;
  py::array raw;
};

py::array BufferView(const Output& o) {
  const TensorDesc& d = o.desc;
  if (IsImageType(d.type)) {  // planar images have no per-dimension strides to view through
    std::vector<float> f;
    Check(ReadOutputF32(d, o.raw.data(), &f));
    py::array_t<uint8_t> out(d.valid_shape);
    for (size_t i = 0; i < f.size(); ++i) out.mutable_data()[i] = static_cast<uint8_t>(f[i]);
    return std::move(out);
  }
  std::vector<py::ssize_t> shape(d.valid_shape.begin(), d.valid_shape.end());
  std::vector<py::ssize_t> strides(d.stride.begin(), d.stride.end());
  return py::array(DtypeOf(d.type), shape, strides, o.raw.data(), o.raw);
}

py::array NumpyF32(const Output& o) {
  std::vector<float> f;
  Check(ReadOutputF32(o.desc, o.raw.data(), &f));
  py::array_t<float> out(o.desc.valid_shape);
  std::memcpy(out.mutable_data(), f.data(), f.size() * sizeof(float));
  return std::move(out);
}

// A model of a loaded file with the Session that runs it (pyeasy_dnn's Model). forward() may be
// called from several Python threads: they take turns on this model's session, while threads
// on other Model objects run at the same time (the GIL is released around the engine).
class PyModel {
 public:
  PyModel(std::shared_ptr<const Model> model, std::string cache_dir)
      : model_(std::move(model)), cache_dir_(std::move(cache_dir)) {
    for (size_t i = 0; i < model_->inputs().size(); ++i) {
      const PreprocessInfo& p = model_->preprocess()[i];
      inputs_.push_back(
          {model_->inputs()[i],
           p.empty() ? "" : ColorRangeName(Unwrap(ParseColorRange(p.input_space_and_range)))});
    }
    for (const TensorDesc& d : model_->outputs()) outputs_.push_back({d, ""});
  }

  const std::string& name() const { return model_->name(); }
  const std::vector<Tensor>& inputs() const { return inputs_; }
  const std::vector<Tensor>& outputs() const { return outputs_; }

  std::vector<Output> Forward(const py::object& x, std::optional<int> intra_threads,
                              std::optional<std::string> dump_dir) {
    std::vector<py::array> arrays = InputArrays(x);
    if (intra_threads && *intra_threads < 1)
      throw py::value_error("intra_threads must be >= 1, got " + std::to_string(*intra_threads));
    std::vector<Output> outs;
    for (const TensorDesc& d : model_->outputs()) {
      const std::vector<py::ssize_t> bytes{static_cast<py::ssize_t>(d.aligned_byte_size)};
      outs.push_back({d, IsImageType(d.type) ? py::array(py::dtype::of<uint8_t>(), bytes)
                                             : py::array(DtypeOf(d.type), d.aligned_shape)});
    }
    Status status;
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mu_);
      status = RunLocked(arrays, intra_threads, dump_dir, &outs);
    }
    Check(status);
    return outs;
  }

 private:
  // One C-contiguous array per input, of the input's element dtype. Sizes are the session's
  // to check (SetInput: valid or aligned byte size).
  std::vector<py::array> InputArrays(const py::object& x) const {
    std::vector<py::object> items;
    if (py::isinstance<py::list>(x) || py::isinstance<py::tuple>(x)) {
      for (const py::handle& h : x) items.push_back(py::reinterpret_borrow<py::object>(h));
    } else {
      items.push_back(x);
    }
    const auto& ins = model_->inputs();
    if (items.size() != ins.size()) {
      std::string names;
      for (const auto& d : ins) names += (names.empty() ? "'" : ", '") + d.name + "'";
      throw py::value_error("model '" + model_->name() + "' has " + std::to_string(ins.size()) +
                            " input(s) (" + names + "), got " + std::to_string(items.size()) +
                            " array(s)");
    }
    std::vector<py::array> arrays;
    for (size_t i = 0; i < items.size(); ++i) {
      const TensorDesc& d = ins[i];
      const std::string what = "input " + std::to_string(i) + " '" + d.name + "'";
      if (!py::isinstance<py::array>(items[i]))
        throw py::value_error(what + ": expected a numpy array, got " +
                              py::str(py::type::of(items[i])).cast<std::string>());
      py::array a = py::array::ensure(items[i], py::array::c_style);
      if (!a.dtype().equal(DtypeOf(d.type)))
        throw py::value_error(
            what + ": expected dtype " + py::str(DtypeOf(d.type)).cast<std::string>() + " (" +
            TensorTypeName(d.type) + "), got " + py::str(a.dtype()).cast<std::string>());
      if (a.nbytes() != d.valid_byte_size() && a.nbytes() != d.aligned_byte_size)
        throw py::value_error(what + ": expected " + std::to_string(d.valid_byte_size()) +
                              " bytes (valid " + ShapeToString(d.valid_shape) + ") or " +
                              std::to_string(d.aligned_byte_size) + " bytes (aligned " +
                              ShapeToString(d.aligned_shape) + "), got " + ArrayText(a));
      arrays.push_back(std::move(a));
    }
    return arrays;
  }

  // Runs without the GIL: touches no Python object except the arrays' memory.
  Status RunLocked(const std::vector<py::array>& arrays, std::optional<int> intra_threads,
                   const std::optional<std::string>& dump_dir, std::vector<Output>* outs) {
    // The session is made on first use (so load() can describe models this build cannot run)
    // and remade when the thread count changes.
    const int threads = intra_threads.value_or(session_ ? threads_ : 1);
    if (!session_ || threads != threads_) {
      session_.reset();  // one arena at a time
      SessionOptions opts;
      opts.num_threads = threads;
      opts.cache_dir = cache_dir_;
      EDGERT_ASSIGN_OR_RETURN(session_, Session::Create(model_, opts));
      threads_ = threads;
    }
    for (size_t i = 0; i < arrays.size(); ++i)
      EDGERT_RETURN_IF_ERROR(
          session_->SetInput(i, arrays[i].data(), static_cast<size_t>(arrays[i].nbytes())));
    EDGERT_RETURN_IF_ERROR(session_->Run());
    for (size_t o = 0; o < outs->size(); ++o)
      std::memcpy((*outs)[o].raw.mutable_data(), session_->output_data(o),
                  static_cast<size_t>((*outs)[o].desc.aligned_byte_size));
    if (!dump_dir) return Status::Ok();
    // infer --enable_dump's files: float32, valid shape, dequantized.
    std::error_code ec;
    std::filesystem::create_directories(*dump_dir, ec);
    if (ec) return FileError(*dump_dir + ": cannot create output directory: " + ec.message());
    for (size_t o = 0; o < outs->size(); ++o) {
      std::vector<float> values;
      EDGERT_RETURN_IF_ERROR(session_->GetOutput(o, &values));
      EDGERT_RETURN_IF_ERROR(app::WriteFloatBin(
          app::OutputDumpBase(*dump_dir, o, model_->outputs()[o].name) + ".bin", values));
    }
    return Status::Ok();
  }

  std::shared_ptr<const Model> model_;
  std::string cache_dir_;  // the start-up cache of load(), for the session
  std::vector<Tensor> inputs_, outputs_;
  std::mutex mu_;                     // guards session_ and threads_
  std::unique_ptr<Session> session_;  // null until the first forward()
  int threads_ = 0;
};

std::vector<std::shared_ptr<PyModel>> Load(const std::string& path, const std::string& cache_dir) {
  std::shared_ptr<const ModelFile> file;
  std::vector<std::shared_ptr<PyModel>> models;
  py::gil_scoped_release release;  // mapping and checksumming take a while
  file = Unwrap(ModelFile::Open(path, {cache_dir}));
  for (const std::string& name : file->model_names())
    models.push_back(std::make_shared<PyModel>(Unwrap(file->GetModel(name)), cache_dir));
  return models;
}

// cv::imread(path, IMREAD_COLOR)'s bytes (app::DecodeImageFile): HxWx3 uint8 BGR.
py::array Imread(const std::string& path) {
  app::BgrImage img;
  {
    py::gil_scoped_release release;
    img = Unwrap(app::DecodeImageFile(path));
  }
  py::array_t<uint8_t> out({img.height, img.width, 3});
  std::memcpy(out.mutable_data(), img.bgr.data(), img.bgr.size());
  return std::move(out);
}

// infer's image path from pixels (app::BgrImageToInput): the HxWx3 uint8 BGR image resized to
// `size` (width, height; default its own) and converted to `type`/`layout`/`range`. Returns the
// valid-size buffer: 1-D for IMG_NV12, else the valid shape.
py::array BgrToInput(const py::object& image, const std::string& type, const std::string& layout,
                     std::optional<std::pair<int64_t, int64_t>> size, const std::string& range) {
  if (!py::isinstance<py::array>(image))
    throw py::value_error("image: expected a numpy HxWx3 uint8 BGR array, got " +
                          py::str(py::type::of(image)).cast<std::string>());
  py::array img = py::array::ensure(image, py::array::c_style);
  if (img.ndim() != 3 || img.shape(2) != 3 || !img.dtype().equal(py::dtype::of<uint8_t>()))
    throw py::value_error("image: expected an HxWx3 uint8 BGR array, got " + ArrayText(img));
  const TensorType t = Unwrap(ParseTensorType(type));
  const Layout l = Unwrap(ParseLayout(layout));
  const ColorRange r = Unwrap(ParseColorRange(range));
  const int64_t h = size ? size->second : img.shape(0);
  const int64_t w = size ? size->first : img.shape(1);
  const int64_t c = t == TensorType::kImgY || t == TensorType::kImgGray ? 1 : 3;
  AlignmentRule dense;
  dense.row_align_bytes = 1;  // no padding: the valid-size buffer
  const TensorDesc d = Unwrap(MakeTensorDesc(
      "image", t, l,
      l == Layout::kNCHW ? std::vector<int64_t>{1, c, h, w} : std::vector<int64_t>{1, h, w, c},
      dense));
  std::vector<uint8_t> bytes;
  {
    py::gil_scoped_release release;
    bytes = Unwrap(app::BgrImageToInput(
        static_cast<const uint8_t*>(img.data()), static_cast<int64_t>(img.strides(0)),
        static_cast<int>(img.shape(1)), static_cast<int>(img.shape(0)), d, r, "image", nullptr));
  }
  py::array_t<uint8_t> out = t == TensorType::kImgNv12
                                 ? py::array_t<uint8_t>({static_cast<int64_t>(bytes.size())})
                                 : py::array_t<uint8_t>(d.valid_shape);
  std::memcpy(out.mutable_data(), bytes.data(), bytes.size());
  return std::move(out);
}

}  // namespace

PYBIND11_MODULE(_edgert, m) {
  m.doc() = "edgert runtime: load compiled .bin models and run them on numpy arrays";
  m.attr("__version__") = Version();

  py::class_<Properties>(m, "TensorProperties",
                         "A tensor description (edgert::TensorDesc); shapes in `layout` order, "
                         "strides in bytes")
      .def_property_readonly("tensor_type",
                             [](const Properties& p) { return TensorTypeName(p.desc.type); })
      .def_property_readonly("layout",
                             [](const Properties& p) { return LayoutName(p.desc.layout); })
      .def_property_readonly("shape", [](const Properties& p) { return Tuple(p.desc.valid_shape); })
      .def_property_readonly("valid_shape",
                             [](const Properties& p) { return Tuple(p.desc.valid_shape); })
      .def_property_readonly("aligned_shape",
                             [](const Properties& p) { return Tuple(p.desc.aligned_shape); })
      .def_property_readonly("stride", [](const Properties& p) { return Tuple(p.desc.stride); })
      .def_property_readonly("aligned_byte_size",
                             [](const Properties& p) { return p.desc.aligned_byte_size; })
      .def_property_readonly("valid_byte_size",
                             [](const Properties& p) { return p.desc.valid_byte_size(); })
      .def_property_readonly("dtype", [](const Properties& p) { return DtypeOf(p.desc.type); })
      .def_property_readonly("scale_data",
                             [](const Properties& p) {
                               return py::array_t<float>(p.desc.quant.scale.size(),
                                                         p.desc.quant.scale.data());
                             })
      .def_property_readonly("zero_point",
                             [](const Properties& p) {
                               return py::array_t<int32_t>(p.desc.quant.zero_point.size(),
                                                           p.desc.quant.zero_point.data());
                             })
      .def_property_readonly("quant_axis", [](const Properties& p) { return p.desc.quant.axis; })
      .def("__repr__", [](const Properties& p) { return p.desc.ToString(); });

  py::class_<Tensor>(m, "Tensor", "A model input or output: name and properties")
      .def_property_readonly("name", [](const Tensor& t) { return t.desc.name; })
      .def_property_readonly("properties", [](const Tensor& t) { return Properties{t.desc}; })
      .def_property_readonly("color_range",
                             [](const Tensor& t) -> py::object {
                               if (t.color_range.empty()) return py::none();
                               return py::str(t.color_range);
                             })
      .def("__repr__", [](const Tensor& t) { return "<edgert.Tensor " + t.desc.ToString() + ">"; });

  py::class_<Output>(m, "Output", "One output of Model.forward()")
      .def_property_readonly("name", [](const Output& o) { return o.desc.name; })
      .def_property_readonly("properties", [](const Output& o) { return Properties{o.desc}; })
      .def_property_readonly("buffer", &BufferView,
                             "stored type, valid shape (a view of .raw; float32 for F32)")
      .def_property_readonly(
          "raw", [](const Output& o) { return o.raw; }, "the aligned buffer as stored")
      .def("numpy", &NumpyF32, "float32, valid shape, dequantized: what infer dumps")
      .def("__repr__", [](const Output& o) { return "<edgert.Output " + o.desc.ToString() + ">"; });

  py::class_<PyModel, std::shared_ptr<PyModel>>(m, "Model", "One model of a .bin file")
      .def_property_readonly("name", &PyModel::name)
      .def_property_readonly("inputs", &PyModel::inputs)
      .def_property_readonly("outputs", &PyModel::outputs)
      .def("forward", &PyModel::Forward, py::arg("x") = py::tuple(),
           py::arg("intra_threads") = py::none(), py::arg("dump_dir") = py::none(),
           "Runs the model on one array or a list of arrays (one per input, valid or aligned "
           "size, the input's dtype; none for a model without inputs) and returns a list of "
           "Output")
      .def("__repr__", [](const PyModel& p) { return "<edgert.Model '" + p.name() + "'>"; });

  m.def("load", &Load, py::arg("path"), py::arg("cache_dir") = "",
        "Loads a .bin file: one Model per model it packs. cache_dir: the start-up cache folder "
        "(README 'Start-up cache'; perf --cache_dir), used by load and by each model's session");
  m.def("imread", &Imread, py::arg("path"),
        "Decodes a JPEG/PNG/BMP file to what cv2.imread returns (HxWx3 uint8 BGR)");
  m.def("bgr_to_input", &BgrToInput, py::arg("image"), py::arg("tensor_type"),
        py::arg("layout") = "NHWC", py::arg("size") = py::none(), py::arg("range") = "regular",
        "Resizes (size=(width, height), INTER_LINEAR) and converts an HxWx3 uint8 BGR image "
        "into an IMG_* input buffer of valid size, the bytes infer makes");
}

}  // namespace edgert::python
