// Model inputs and outputs: IoDescs from the config and the ONNX shapes, the adapter,
// ColorConvert and Normalize nodes at the edges of the graph.

#include <map>

#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {

Status Lowerer::SetUpInputs() {
  const auto& g = model_.graph();
  std::set<std::string> inits;
  for (const auto& t : g.initializer()) inits.insert(t.name());
  std::vector<const onnx::ValueInfoProto*> ins;
  for (const auto& vi : g.input())
    if (!inits.count(vi.name())) ins.push_back(&vi);

  std::vector<std::string> in_names;
  for (const auto* vi : ins) in_names.push_back("'" + vi->name() + "'");
  // Match config entries to graph inputs: by name when named, else by position.
  std::vector<InputConfig> per_input(ins.size());
  bool named = false;
  for (const InputConfig& ic : cfg_.inputs) named = named || !ic.name.empty();
  if (named) {
    for (const InputConfig& ic : cfg_.inputs) {
      if (ic.name.empty())
        return InvalidArgument(label_ + ": input_parameters: input_name is missing for an entry");
      size_t k = 0;
      while (k < ins.size() && ins[k]->name() != ic.name) ++k;
      if (k == ins.size())
        return InvalidArgument(label_ + ": input_parameters.input_name '" + ic.name +
                               "' is not a graph input (inputs: " + Join(in_names) + ")");
      per_input[k] = ic;
    }
  } else if (!cfg_.inputs.empty()) {
    if (cfg_.inputs.size() != ins.size())
      return InvalidArgument(label_ + ": input_parameters has " +
                             std::to_string(cfg_.inputs.size()) + " entries but the model has " +
                             std::to_string(ins.size()) + " inputs (" + Join(in_names) +
                             "); name them with input_name");
    per_input = cfg_.inputs;
  }

  for (size_t k = 0; k < ins.size(); ++k) {
    const onnx::ValueInfoProto& vi = *ins[k];
    InputConfig ic = per_input[k];
    const std::string who = "input '" + vi.name() + "'";
    const bool image = ic.input_type_rt != "featuremap";
    if (!vi.type().has_tensor_type()) return Unsupported(label_ + ": " + who + " is not a tensor");
    const auto& tt = vi.type().tensor_type();
    // Integer, bool and float16 inputs are featuremaps of their IR dtype (int64 narrowed to S32,
    // bool U8): the user feeds them as they are, so nothing may convert or normalize them.
    TensorType dtype = TensorType::kF32;
    if (!IrDTypeOf(tt.elem_type(), &dtype))
      return Unsupported(label_ + ": " + who + " has element type " + ElemTypeName(tt.elem_type()) +
                         "; inputs may be FLOAT, FLOAT16, BOOL, UINT8, INT8, INT16, INT32 or "
                         "INT64");
    if (dtype != TensorType::kF32 && (image || ic.norm_type != "no_preprocess"))
      return InvalidArgument(label_ + ": " + who + " has element type " +
                             ElemTypeName(tt.elem_type()) + ": it must be input_type_rt " +
                             "featuremap with norm_type no_preprocess (got input_type_rt '" +
                             ic.input_type_rt + "', norm_type '" + ic.norm_type + "')");
    Shape onnx_shape;
    bool dynamic = false;
    std::string shape_text;
    for (const auto& d : tt.shape().dim()) {
      const bool known = d.has_dim_value() && d.dim_value() > 0;
      onnx_shape.push_back(known ? d.dim_value() : -1);
      dynamic = dynamic || !known;
      shape_text += (shape_text.empty() ? "" : "x") +
                    (known ? std::to_string(d.dim_value())
                           : (d.has_dim_param() ? d.dim_param() : std::string("?")));
    }
    Shape shape = onnx_shape;
    if (!ic.shape.empty()) {
      if (ic.shape.size() != onnx_shape.size())
        return InvalidArgument(label_ + ": input_parameters.input_shape " +
                               ShapeToString(ic.shape) + " for " + who + " has rank " +
                               std::to_string(ic.shape.size()) + " but the model's is " +
                               shape_text + " (rank " + std::to_string(onnx_shape.size()) + ")");
      for (size_t d = 0; d < shape.size(); ++d)
        if (onnx_shape[d] > 0 && onnx_shape[d] != ic.shape[d])
          return InvalidArgument(label_ + ": input_parameters.input_shape " +
                                 ShapeToString(ic.shape) + " for " + who +
                                 " contradicts the model's shape " + shape_text);
      shape = ic.shape;
    } else if (dynamic) {
      return InvalidArgument(label_ + ": " + who + " has dynamic dimensions (" + shape_text +
                             "); set input_shape for it in input_parameters");
    }
    const bool four = shape.size() == 4;
    if (image && !four)
      return InvalidArgument(label_ + ": " + who + " has input_type_rt '" + ic.input_type_rt +
                             "' but shape " + shape_text +
                             "; image inputs need a 4-D N,C,H,W (or N,H,W,C) shape");
    if (ic.input_layout_train.empty()) ic.input_layout_train = four ? "NCHW" : "NONE";
    // Camera buffers are interleaved: images default to NHWC whatever the train layout.
    if (ic.input_layout_rt.empty()) ic.input_layout_rt = image ? "NHWC" : ic.input_layout_train;
    for (const std::string* l : {&ic.input_layout_train, &ic.input_layout_rt}) {
      if (four && *l == "NONE")
        return InvalidArgument(label_ + ": " + who +
                               " is 4-D: its input layouts must be NCHW or "
                               "NHWC, not NONE");
      if (!four && *l != "NONE")
        return InvalidArgument(label_ + ": " + who + " has rank " + std::to_string(shape.size()) +
                               ": its input layouts must be NONE, "
                               "not " +
                               *l);
    }
    // The user's buffer is in input_layout_rt; the ONNX tensor (logical) is in
    // input_layout_train; 4-D data is stored NHWC in the graph.
    Shape valid = shape;
    Layout layout = Layout::kNone;
    Perm adapter = IdentityPerm(shape.size()), stored = IdentityPerm(shape.size());
    if (four) {
      const bool train_nchw = ic.input_layout_train == "NCHW";
      const bool rt_nchw = ic.input_layout_rt == "NCHW";
      layout = rt_nchw ? Layout::kNCHW : Layout::kNHWC;
      if (train_nchw && !rt_nchw) valid = Permute(shape, kNHWC);
      if (!train_nchw && rt_nchw) valid = Permute(shape, {0, 3, 1, 2});
      if (rt_nchw) adapter = kNHWC;
      if (train_nchw) stored = kNHWC;
    }
    TensorDesc desc;
    int buf = -1, dense = -1;
    cur_name_ = vi.name();
    if (image) {
      EDGERT_ASSIGN_OR_RETURN(
          desc, SetUpImageInput(ic, who, vi.name(), Permute(shape, stored), &buf, &dense));
    } else {
      auto d = MakeTensorDesc(vi.name(), dtype, layout, valid, AlignmentRule{cfg_.row_align_bytes});
      if (!d.ok()) return InvalidArgument(label_ + ": " + who + ": " + d.status().message());
      desc = *d;
      buf = NewTensor(vi.name(), desc.aligned_shape, dtype);
      dense = NewTensor(vi.name() + (IsIdentity(stored) ? "_dense" : "_nhwc"),
                        Permute(shape, stored), dtype);
      Emit(vi.name() + "_input_adapter", "InputAdapter", {buf}, {dense},
           {AttrDef::Ints("perm", ToInts(adapter))}, "");
    }
    if (ic.norm_type != "no_preprocess") {
      EDGERT_ASSIGN_OR_RETURN(dense, EmitNormalize(ic, who, vi.name(), dense));
    }
    SetAct(vi.name(), dense, shape, stored);
    IoDef io;
    io.desc = desc;
    io.tensor = buf;
    io.preprocess.input_type_rt = ic.input_type_rt;
    io.preprocess.input_type_train = ic.input_type_train;
    io.preprocess.input_layout_rt = ic.input_layout_rt;
    io.preprocess.input_layout_train = ic.input_layout_train;
    io.preprocess.input_space_and_range = ic.input_space_and_range;
    io.preprocess.norm_type = ic.norm_type;
    io.preprocess.mean_value = ic.mean_value;
    io.preprocess.scale_value = ic.scale_value;
    m_.inputs.push_back(std::move(io));
  }
  return Status::Ok();
}

Result<TensorDesc> Lowerer::SetUpImageInput(const InputConfig& ic, const std::string& who,
                                            const std::string& name, const Shape& stored_shape,
                                            int* buf, int* dense) {
  static const std::map<std::string, TensorType> kTypes = {{"nv12", TensorType::kImgNv12},
                                                           {"yuv444", TensorType::kImgYuv444},
                                                           {"rgb", TensorType::kImgRgb},
                                                           {"bgr", TensorType::kImgBgr},
                                                           {"gray", TensorType::kImgGray}};
  const auto type = kTypes.find(ic.input_type_rt);
  if (type == kTypes.end())
    return InvalidArgument(label_ + ": " + who + ": unknown input_type_rt '" + ic.input_type_rt +
                           "'");
  // stored_shape is N,H,W,C of the train tensor.
  const int64_t n = stored_shape[0], h = stored_shape[1], w = stored_shape[2];
  const int64_t c_train = stored_shape[3];
  const int64_t want_c = ic.input_type_train == "gray" ? 1 : 3;
  if (c_train != want_c)
    return InvalidArgument(label_ + ": " + who + " has " + std::to_string(c_train) +
                           " channel(s) in its " + ic.input_layout_train +
                           " shape, but input_type_train '" + ic.input_type_train + "' has " +
                           std::to_string(want_c));
  const int64_t c_rt = ic.input_type_rt == "gray" ? 1 : 3;
  const bool rt_nchw = ic.input_layout_rt == "NCHW";
  if (rt_nchw && ic.input_type_rt == "nv12")
    return InvalidArgument(label_ + ": " + who +
                           ": input_type_rt 'nv12' is planar Y + interleaved UV; its "
                           "input_layout_rt must be NHWC, not NCHW");
  const Shape valid = rt_nchw ? Shape{n, c_rt, h, w} : Shape{n, h, w, c_rt};
  auto desc = MakeTensorDesc(name, type->second, rt_nchw ? Layout::kNCHW : Layout::kNHWC, valid,
                             AlignmentRule{cfg_.row_align_bytes});
  if (!desc.ok()) return InvalidArgument(label_ + ": " + who + ": " + desc.status().message());
  // The graph tensor of an image input is its aligned buffer as bytes (IR.md).
  *buf = NewTensor(name, {desc->aligned_byte_size});
  m_.tensors[*buf].dtype = TensorType::kU8;
  *dense = NewTensor(name + "_" + ic.input_type_train, stored_shape);
  Emit(name + "_color_convert", "ColorConvert", {*buf}, {*dense},
       {AttrDef::String("rt", ic.input_type_rt), AttrDef::String("train", ic.input_type_train),
        AttrDef::String("range", ic.input_space_and_range)},
       "");
  return *desc;
}

Result<int> Lowerer::EmitNormalize(const InputConfig& ic, const std::string& who,
                                   const std::string& name, int x) {
  const Shape shape = m_.tensors[x].shape;
  const int64_t c = shape.empty() ? 1 : shape.back();
  const bool mean = ic.norm_type == "data_mean" || ic.norm_type == "data_mean_and_scale";
  const bool scale = ic.norm_type == "data_scale" || ic.norm_type == "data_mean_and_scale";
  std::vector<float> m = mean ? ic.mean_value : std::vector<float>{0.f};
  std::vector<float> s = scale ? ic.scale_value : std::vector<float>{1.f};
  for (const auto* v : {&m, &s})
    if (v->size() != 1 && static_cast<int64_t>(v->size()) != c)
      return InvalidArgument(label_ + ": " + who + ": " + (v == &m ? "mean_value" : "scale_value") +
                             " has " + std::to_string(v->size()) + " values, expected 1 or " +
                             std::to_string(c) + " (one per channel)");
  const int out = NewTensor(name + "_normalized", shape);
  Emit(name + "_normalize", "Normalize", {x}, {out},
       {AttrDef::Floats("mean", m), AttrDef::Floats("scale", s)}, "");
  return out;
}

Status Lowerer::SetUpOutputs() {
  cur_name_ = "outputs";
  cur_op_ = "graph";
  for (const auto& o : model_.graph().output()) {
    auto it = values_.find(o.name());
    if (it == values_.end())
      return FormatError(label_ + ": graph output '" + o.name() + "' is produced by no node");
    const Value v = it->second;
    // The ONNX output's type says the dtype (int64 narrowed to S32, bool U8); an activation must
    // already have it, or a lowering lost it.
    TensorType want = v.is_const ? TensorType::kF32 : v.dtype;
    const int elem = o.type().has_tensor_type() ? o.type().tensor_type().elem_type() : 0;
    if (elem != 0 && !IrDTypeOf(elem, &want))
      return Unsupported(label_ + ": output '" + o.name() + "' has element type " +
                         ElemTypeName(elem) + ", which the IR has no dtype for");
    if (!v.is_const && want != v.dtype)
      return Unsupported(label_ + ": output '" + o.name() + "' is " + ElemTypeName(elem) +
                         " in the model but the compiled graph computes it as " +
                         DTypeName(v.dtype));
    int src = v.is_const ? Logical(v, o.name() + "_const", want) : v.tensor;
    const Perm perm = v.is_const ? IdentityPerm(v.shape.size()) : v.perm;
    // The IO tensor takes the ONNX name; a graph tensor that had it gets a suffix.
    for (TensorDef& t : m_.tensors)
      if (t.name == o.name())
        t.name = Unique(o.name() + (IsIdentity(perm) ? "_dense" : "_nhwc"), tensor_names_);
    tensor_names_.erase(o.name());
    const Layout layout = v.shape.size() == 4 ? Layout::kNCHW : Layout::kNone;
    const TensorType type = m_.tensors[static_cast<size_t>(src)].dtype;
    auto desc =
        MakeTensorDesc(o.name(), type, layout, v.shape, AlignmentRule{cfg_.row_align_bytes});
    if (!desc.ok())
      return InvalidArgument(label_ + ": output '" + o.name() + "': " + desc.status().message());
    const int buf = NewTensor(o.name(), desc->aligned_shape, type);
    Emit(o.name() + "_output_adapter", "OutputAdapter", {src}, {buf},
         {AttrDef::Ints("perm", ToInts(InversePerm(perm)))}, "");
    IoDef io;
    io.desc = *desc;
    io.tensor = buf;
    m_.outputs.push_back(std::move(io));
  }
  return Status::Ok();
}

}  // namespace edgert::compiler
