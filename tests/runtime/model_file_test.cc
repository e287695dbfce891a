// The .bin format: round trips, packed models, and every class of malformed file.
#include <gtest/gtest.h>

#include <cstring>

#include "edgert/model.h"
#include "edgert/model_writer.h"
#include "file_format.h"
#include "model_generated.h"
#include "model_impl.h"
#include "test_util.h"

namespace edgert {
namespace {

class ModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto bytes = SerializeModelFile({test::TinyModel()});
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    good_ = *bytes;
  }
  std::string Write(const std::string& name, const std::vector<uint8_t>& bytes) {
    std::string path = dir_ + "/" + name;
    test::WriteFileBytes(path, bytes);
    return path;
  }
  // Opens `bytes` from a file and expects a format error whose message contains `needle`
  // and names the file.
  void ExpectFormatError(const std::vector<uint8_t>& bytes, const std::string& needle) {
    std::string path = Write("bad.bin", bytes);
    auto r = ModelFile::Open(path);
    ASSERT_FALSE(r.ok()) << "accepted a file that should fail with '" << needle << "'";
    EXPECT_EQ(r.status().code(), StatusCode::kFormatError) << r.status().ToString();
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
  }
  FileHeader Header(const std::vector<uint8_t>& bytes) {
    FileHeader h;
    std::memcpy(&h, bytes.data(), sizeof(h));
    return h;
  }
  void SetHeader(std::vector<uint8_t>& bytes, const FileHeader& h) {
    std::memcpy(bytes.data(), &h, sizeof(h));
  }
  // A file whose payload is the raw FlatBuffers `fbb` plus `data`, with a correct header.
  std::vector<uint8_t> Assemble(flatbuffers::FlatBufferBuilder& fbb, std::vector<uint8_t> data) {
    return AssembleFile(fbb.GetBufferPointer(), fbb.GetSize(), data);
  }

  std::string dir_;
  std::vector<uint8_t> good_;
};

TEST_F(ModelFileTest, RoundTripKeepsEveryField) {
  std::string path = Write("tiny.bin", good_);
  auto file = ModelFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->model_names(), std::vector<std::string>{"tiny"});
  auto model = (*file)->GetModel();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ModelDef want = test::TinyModel();
  const Model& m = **model;
  EXPECT_EQ(m.name(), "tiny");
  EXPECT_EQ(m.producer_version(), Version());
  EXPECT_EQ(m.source_sha256(), want.source_sha256);
  EXPECT_EQ(m.compile_config(), want.compile_config);
  ASSERT_EQ(m.input_count(), 1u);
  ASSERT_EQ(m.output_count(), 1u);
  EXPECT_EQ(m.inputs()[0], want.inputs[0].desc);
  EXPECT_EQ(m.outputs()[0], want.outputs[0].desc);
  ASSERT_EQ(m.nodes().size(), 3u);
  EXPECT_EQ(m.nodes()[1].op_type, "Conv2D");
  EXPECT_EQ(m.nodes()[1].source_op, "Conv");
  EXPECT_EQ(m.nodes()[1].inputs, (std::vector<int>{1, 2, 3}));
  // The 4x3x3x3 conv over a 5x7 output: 35 positions x 108 weights.
  EXPECT_EQ(m.summary().macs, 35 * 108);
  EXPECT_EQ(m.summary().param_count, 108 + 4);
  EXPECT_EQ(m.summary().op_counts.at("Conv2D"), 1);
  ASSERT_EQ(m.tensors().size(), want.tensors.size());
  EXPECT_TRUE(m.tensors()[2].constant);
  const uint8_t* w = internal::ModelAccess::Of(m).ConstData(2);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w) % 64, 0u) << "weights must be usable in place";
  EXPECT_EQ(std::memcmp(w, want.tensors[2].data.data(), want.tensors[2].data.size()), 0);
  EXPECT_EQ(internal::ModelAccess::Of(m).ConstData(1), nullptr);
}

TEST_F(ModelFileTest, LoadPhasesAreReportedInOrder) {
  auto file = ModelFile::Open(Write("phases.bin", good_));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  std::vector<std::string> phases;
  for (const PhaseTiming& t : (*file)->load_phases()) {
    phases.push_back(t.phase);
    EXPECT_GE(t.ms, 0.0) << t.phase;
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"map", "checksum", "verify", "parse"}));
  auto mem = ModelFile::FromBytes(good_.data(), good_.size(), "bytes");
  ASSERT_TRUE(mem.ok()) << mem.status().ToString();
  EXPECT_EQ((*mem)->load_phases().size(), 4u);
}

TEST_F(ModelFileTest, PackedFileSelectsModelsByName) {
  auto bytes = SerializeModelFile({test::TinyModel("first"), test::TinyModel("second")});
  ASSERT_TRUE(bytes.ok());
  std::string path = Write("packed.bin", *bytes);
  auto file = ModelFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->model_names(), (std::vector<std::string>{"first", "second"}));
  auto second = (*file)->GetModel("second");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->name(), "second");
  auto ambiguous = (*file)->GetModel();
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.status().message().find("--model_name"), std::string::npos);
  auto missing = (*file)->GetModel("third");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'first', 'second'"), std::string::npos)
      << missing.status().message();
}

TEST_F(ModelFileTest, DuplicateModelNamesAreRejected) {
  auto bytes = SerializeModelFile({test::TinyModel("same"), test::TinyModel("same")});
  ASSERT_TRUE(bytes.ok());
  ExpectFormatError(*bytes, "two models are named 'same'");
}

TEST_F(ModelFileTest, WriteIsAtomicAndLeavesNoTemporaryFile) {
  std::string path = dir_ + "/m.bin";
  ASSERT_TRUE(WriteModelFile(path, {test::TinyModel()}).ok());
  EXPECT_EQ(test::ReadFileBytes(path), good_);
  Status s = WriteModelFile(dir_ + "/no/such/dir/m.bin", {test::TinyModel()});
  EXPECT_EQ(s.code(), StatusCode::kFileError);
  EXPECT_NE(s.message().find("no/such/dir"), std::string::npos);
}

TEST_F(ModelFileTest, MissingFileIsAFileError) {
  auto r = ModelFile::Open(dir_ + "/absent.bin");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFileError);
  EXPECT_NE(r.status().message().find("absent.bin"), std::string::npos);
  auto d = ModelFile::Open(dir_);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kFileError);
}

TEST_F(ModelFileTest, EmptyFile) { ExpectFormatError({}, "empty"); }

TEST_F(ModelFileTest, TruncatedHeader) {
  ExpectFormatError(std::vector<uint8_t>(good_.begin(), good_.begin() + 20), "shorter than");
}

TEST_F(ModelFileTest, TruncatedPayload) {
  ExpectFormatError(std::vector<uint8_t>(good_.begin(), good_.end() - 100), "truncated");
}

TEST_F(ModelFileTest, WrongMagic) {
  auto bytes = good_;
  bytes[0] = 'X';
  ExpectFormatError(bytes, "bad magic");
}

TEST_F(ModelFileTest, OnnxFileGetsAHint) {
  std::vector<uint8_t> onnx = {0x08, 0x07, 0x12, 0x07, 'p', 'y', 't', 'o', 'r', 'c', 'h'};
  onnx.resize(200, 0);
  ExpectFormatError(onnx, "model_compiler");
}

TEST_F(ModelFileTest, NewerVersion) {
  auto bytes = good_;
  FileHeader h = Header(bytes);
  h.format_version = kFormatVersion + 1;
  SetHeader(bytes, h);
  ExpectFormatError(bytes, "format version 2");
}

TEST_F(ModelFileTest, FlippedPayloadByte) {
  auto bytes = good_;
  bytes[bytes.size() / 2] ^= 0x40;
  ExpectFormatError(bytes, "checksum mismatch");
}

TEST_F(ModelFileTest, DeclaredSizeLargerThanFile) {
  auto bytes = good_;
  FileHeader h = Header(bytes);
  h.payload_size += 4096;
  SetHeader(bytes, h);
  ExpectFormatError(bytes, "only");
}

TEST_F(ModelFileTest, TrailingBytes) {
  auto bytes = good_;
  bytes.resize(bytes.size() + 7, 0);
  ExpectFormatError(bytes, "unexpected bytes");
}

TEST_F(ModelFileTest, InconsistentHeaderOffsets) {
  auto bytes = good_;
  FileHeader h = Header(bytes);
  h.data_offset = 3;
  SetHeader(bytes, h);
  ExpectFormatError(bytes, "inconsistent header");
}

TEST_F(ModelFileTest, GarbagePayloadWithValidChecksumFailsVerification) {
  std::vector<uint8_t> garbage(256);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 11);
  std::memcpy(garbage.data() + 4, "EDGB", 4);
  ExpectFormatError(AssembleFile(garbage.data(), garbage.size(), {}), "verification");
}

TEST_F(ModelFileTest, NodeTensorIndexOutOfRange) {
  ModelDef m = test::TinyModel();
  m.nodes[1].inputs[0] = 99;
  auto bytes = SerializeModelFile({m});
  ASSERT_TRUE(bytes.ok());
  ExpectFormatError(*bytes, "refers to tensor 99, out of range");
}

TEST_F(ModelFileTest, IoTensorIndexOutOfRange) {
  ModelDef m = test::TinyModel();
  m.outputs[0].tensor = 6;
  auto bytes = SerializeModelFile({m});
  ASSERT_TRUE(bytes.ok());
  ExpectFormatError(*bytes, "output 0 'out' refers to tensor 6");
}

TEST_F(ModelFileTest, InconsistentIoDescription) {
  ModelDef m = test::TinyModel();
  m.inputs[0].desc.aligned_byte_size = 12345;
  auto bytes = SerializeModelFile({m});
  ASSERT_TRUE(bytes.ok());
  ExpectFormatError(*bytes, "input 0 'data'");
}

// Builds a one-tensor model by hand so that the buffer table can lie.
// `pad_shape`: write the shape vector's one element 4 bytes off its 8-byte alignment (true) or
// aligned (false), by hand; -1 lets the builder place it.
std::vector<uint8_t> ModelWithBuffer(uint64_t offset, uint64_t size, int tensor_buffer,
                                     size_t data_bytes, std::vector<int64_t> shape = {4},
                                     int pad_shape = -1) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers = {fb::CreateBuffer(b, offset, size)};
  flatbuffers::Offset<flatbuffers::Vector<int64_t>> shape_vec;
  if (pad_shape < 0) {
    shape_vec = b.CreateVector(shape);
  } else {
    // A vector of one int64 written as two uint32 pushes: the builder aligns it to 4 bytes only.
    b.StartVector(2, sizeof(uint32_t));
    if (pad_shape) b.PushElement<uint32_t>(0);  // unreferenced filler that shifts the data by 4
    b.PushElement<uint32_t>(static_cast<uint32_t>(static_cast<uint64_t>(shape[0]) >> 32));
    b.PushElement<uint32_t>(static_cast<uint32_t>(shape[0]));
    shape_vec = flatbuffers::Offset<flatbuffers::Vector<int64_t>>(b.EndVector(1));
  }
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors = {
      fb::CreateTensor(b, b.CreateString("w"), fb::DType_F32, shape_vec, 0, tensor_buffer)};
  auto model = fb::CreateModel(b, b.CreateString("m"), b.CreateString("0"), 0, 0, 0, 0,
                               b.CreateVector(tensors), 0, b.CreateVector(buffers));
  std::vector<flatbuffers::Offset<fb::Model>> models = {model};
  fb::FinishPackageBuffer(b, fb::CreatePackage(b, b.CreateString("test"), b.CreateVector(models)));
  return AssembleFile(b.GetBufferPointer(), b.GetSize(), std::vector<uint8_t>(data_bytes, 0));
}

TEST_F(ModelFileTest, HandBuiltModelWithGoodBufferLoads) {
  std::string path = Write("ok.bin", ModelWithBuffer(0, 16, 0, 64));
  auto r = ModelFile::Open(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST_F(ModelFileTest, BufferOffsetOutOfRange) {
  ExpectFormatError(ModelWithBuffer(1 << 20, 16, 0, 64), "outside the 64-byte data section");
}

TEST_F(ModelFileTest, BufferSizeOutOfRange) {
  ExpectFormatError(ModelWithBuffer(0, 1000, 0, 64), "outside");
}

TEST_F(ModelFileTest, TensorBufferIndexOutOfRange) {
  ExpectFormatError(ModelWithBuffer(0, 16, 5, 64), "buffer index 5 out of range");
}

TEST_F(ModelFileTest, ConstantSizeDisagreesWithShape) {
  ExpectFormatError(ModelWithBuffer(0, 12, 0, 64), "needs 16 bytes");
}

// 2^31 x 2^31 floats are 2^64 bytes: a product that wraps to 0 would match an empty buffer.
TEST_F(ModelFileTest, ConstantWhoseByteSizeOverflowsIsRejected) {
  ExpectFormatError(ModelWithBuffer(0, 0, 0, 64, {int64_t{1} << 31, int64_t{1} << 31}),
                    "more bytes than a 64-bit size can count");
}

// The FlatBuffers Verifier passes a [long] vector that is 4-byte aligned only; reading it would be
// a misaligned 8-byte load. Whichever of the two placements is misaligned must be refused, and the
// aligned one must load.
TEST_F(ModelFileTest, MisalignedLongVectorIsRejected) {
  int misaligned = 0;
  for (int pad : {0, 1}) {
    const std::vector<uint8_t> file = ModelWithBuffer(0, 16, 0, 64, {4}, pad);
    const uint8_t* payload = file.data() + 64;
    const auto* shape = fb::GetPackage(payload)->models()->Get(0)->tensors()->Get(0)->shape();
    ASSERT_EQ(shape->size(), 1u);
    if (reinterpret_cast<uintptr_t>(shape->Data()) % 8 != 0) {
      ++misaligned;
      ExpectFormatError(file, "misaligned shape vector");
    } else {
      auto r = ModelFile::FromBytes(file.data(), file.size(), "aligned");
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
  }
  EXPECT_EQ(misaligned, 1);
}

TEST_F(ModelFileTest, FromBytesUsesTheLabel) {
  auto r = ModelFile::FromBytes(good_.data(), good_.size(), "memory");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto bad = ModelFile::FromBytes(good_.data(), 10, "memory");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("memory", 0), 0u);
}

TEST_F(ModelFileTest, EveryTruncationIsRejectedCleanly) {
  // No prefix of a valid file may load or crash (run under ASan in the host-asan preset).
  for (size_t n = 0; n < good_.size(); n += 7) {
    auto r = ModelFile::FromBytes(good_.data(), n, "prefix");
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes loaded";
  }
}

TEST(WriterTest, RejectsBadDefinitions) {
  ModelDef m = test::TinyModel();
  m.nodes[1].op = "Convolution";
  auto r = SerializeModelFile({m});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown IR op 'Convolution'"), std::string::npos);
  m = test::TinyModel();
  m.tensors[2].data.pop_back();
  EXPECT_FALSE(SerializeModelFile({m}).ok());
  m = test::TinyModel();
  m.tensors[1].dtype = TensorType::kImgNv12;
  EXPECT_FALSE(SerializeModelFile({m}).ok());
}

}  // namespace
}  // namespace edgert
