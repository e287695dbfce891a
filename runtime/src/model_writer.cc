#include "edgert/model_writer.h"

#include <cstring>

#include "edgert_internal/file_io.h"
#include "file_format.h"
#include "model_impl.h"

namespace edgert {

AttrDef AttrDef::Int(std::string n, int64_t v) {
  AttrDef a;
  a.name = std::move(n);
  a.kind = kInt;
  a.i = v;
  return a;
}
AttrDef AttrDef::Float(std::string n, float v) {
  AttrDef a;
  a.name = std::move(n);
  a.kind = kFloat;
  a.f = v;
  return a;
}
AttrDef AttrDef::String(std::string n, std::string v) {
  AttrDef a;
  a.name = std::move(n);
  a.kind = kString;
  a.s = std::move(v);
  return a;
}
AttrDef AttrDef::Ints(std::string n, std::vector<int64_t> v) {
  AttrDef a;
  a.name = std::move(n);
  a.kind = kInts;
  a.ints = std::move(v);
  return a;
}
AttrDef AttrDef::Floats(std::string n, std::vector<float> v) {
  AttrDef a;
  a.name = std::move(n);
  a.kind = kFloats;
  a.floats = std::move(v);
  return a;
}

namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

Result<fb::OpType> OpFromName(const std::string& name) {
  for (int i = fb::OpType_MIN + 1; i <= fb::OpType_MAX; ++i)
    if (name == fb::EnumNamesOpType()[i]) return static_cast<fb::OpType>(i);
  return InvalidArgument("unknown IR op '" + name + "'");
}

Offset<fb::Quant> QuantToFb(FlatBufferBuilder& b, const Quantization& q) {
  if (!q.quantized()) return 0;
  return fb::CreateQuant(b, b.CreateVector(q.scale), b.CreateVector(q.zero_point), q.axis);
}

}  // namespace

Result<std::vector<uint8_t>> SerializeModelFile(const std::vector<ModelDef>& models) {
  FlatBufferBuilder b(1 << 16);
  std::vector<uint8_t> data;  // the data section
  std::vector<Offset<fb::Model>> fmodels;
  for (const ModelDef& m : models) {
    const std::string at = "model '" + m.name + "'";
    std::vector<Offset<fb::Buffer>> buffers;
    std::vector<Offset<fb::Tensor>> tensors;
    for (const TensorDef& t : m.tensors) {
      fb::DType dt;
      if (!DTypeFromTensorType(t.dtype, &dt))
        return InvalidArgument(at + ": tensor '" + t.name + "' has image type " +
                               TensorTypeName(t.dtype) + "; graph tensors use featuremap types");
      int buffer = -1;
      if (!t.data.empty()) {
        int64_t n = 1;
        for (int64_t d : t.shape) n *= d;
        if (static_cast<size_t>(n) * ElementSize(t.dtype) != t.data.size())
          return InvalidArgument(at + ": constant '" + t.name + "' of shape " +
                                 ShapeToString(t.shape) + " has " + std::to_string(t.data.size()) +
                                 " bytes");
        data.resize((data.size() + kDataAlignment - 1) / kDataAlignment * kDataAlignment);
        buffer = static_cast<int>(buffers.size());
        buffers.push_back(fb::CreateBuffer(b, data.size(), t.data.size()));
        data.insert(data.end(), t.data.begin(), t.data.end());
      }
      tensors.push_back(fb::CreateTensor(b, b.CreateString(t.name), dt, b.CreateVector(t.shape),
                                         QuantToFb(b, t.quant), buffer));
    }
    std::vector<Offset<fb::Node>> nodes;
    for (const NodeDef& n : m.nodes) {
      auto op = OpFromName(n.op);
      if (!op.ok())
        return InvalidArgument(at + ": node '" + n.name + "': " + op.status().message());
      std::vector<Offset<fb::Attr>> attrs;
      for (const AttrDef& a : n.attrs) {
        auto name = b.CreateString(a.name);
        auto s = a.kind == AttrDef::kString ? b.CreateString(a.s) : 0;
        auto ints = a.kind == AttrDef::kInts ? b.CreateVector(a.ints) : 0;
        auto floats = a.kind == AttrDef::kFloats ? b.CreateVector(a.floats) : 0;
        attrs.push_back(fb::CreateAttr(b, name, a.i, a.f, s, ints, floats));
      }
      nodes.push_back(fb::CreateNode(
          b, b.CreateString(n.name), *op, n.int8 ? fb::Precision_Int8 : fb::Precision_Float,
          b.CreateVector(n.inputs), b.CreateVector(n.outputs), b.CreateVectorOfSortedTables(&attrs),
          b.CreateString(n.source_op)));
    }
    auto io_vec = [&](const std::vector<IoDef>& ios) {
      std::vector<Offset<fb::IoDesc>> v;
      for (const IoDef& io : ios) {
        const TensorDesc& d = io.desc;
        Offset<fb::Preprocess> pre = 0;
        if (!io.preprocess.empty()) {
          const PreprocessInfo& p = io.preprocess;
          pre = fb::CreatePreprocess(
              b, b.CreateString(p.input_type_rt), b.CreateString(p.input_type_train),
              b.CreateString(p.input_layout_rt), b.CreateString(p.input_layout_train),
              b.CreateString(p.input_space_and_range), b.CreateString(p.norm_type),
              b.CreateVector(p.mean_value), b.CreateVector(p.scale_value));
        }
        v.push_back(fb::CreateIoDesc(
            b, b.CreateString(d.name), io.tensor, ToFb(d.type), static_cast<fb::Layout>(d.layout),
            b.CreateVector(d.valid_shape), b.CreateVector(d.aligned_shape),
            b.CreateVector(d.stride), d.aligned_byte_size, QuantToFb(b, d.quant), pre));
      }
      return b.CreateVector(v);
    };
    auto inputs = io_vec(m.inputs);
    auto outputs = io_vec(m.outputs);
    fmodels.push_back(fb::CreateModel(
        b, b.CreateString(m.name), b.CreateString(m.producer_version),
        b.CreateString(m.source_sha256), b.CreateString(m.compile_config), inputs, outputs,
        b.CreateVector(tensors), b.CreateVector(nodes), b.CreateVector(buffers)));
  }
  auto pkg = fb::CreatePackage(b, b.CreateString(std::string("edgert ") + Version()),
                               b.CreateVector(fmodels));
  fb::FinishPackageBuffer(b, pkg);

  return AssembleFile(b.GetBufferPointer(), b.GetSize(), data);
}

std::vector<uint8_t> AssembleFile(const uint8_t* flatbuffer, size_t flatbuffer_size,
                                  const std::vector<uint8_t>& data) {
  FileHeader h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.format_version = kFormatVersion;
  h.header_size = sizeof(FileHeader);
  h.flatbuffer_size = flatbuffer_size;
  h.data_offset = (h.flatbuffer_size + kDataAlignment - 1) / kDataAlignment * kDataAlignment;
  h.payload_size = h.data_offset + data.size();
  std::vector<uint8_t> out(sizeof(FileHeader) + h.payload_size, 0);
  std::memcpy(out.data() + sizeof(FileHeader), flatbuffer, flatbuffer_size);
  if (!data.empty())
    std::memcpy(out.data() + sizeof(FileHeader) + h.data_offset, data.data(), data.size());
  h.checksum = PayloadChecksum(out.data() + sizeof(FileHeader), h.payload_size);
  std::memcpy(out.data(), &h, sizeof(h));
  return out;
}

Status WriteModelFile(const std::string& path, const std::vector<ModelDef>& models) {
  auto bytes = SerializeModelFile(models);
  if (!bytes.ok()) return bytes.status();
  return WriteFileAtomic(path, bytes->data(), bytes->size());
}

}  // namespace edgert
