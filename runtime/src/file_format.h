#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgert {

// The fixed 64-byte little-endian header at the start of every .bin file. The payload follows
// it: a FlatBuffers buffer (runtime/schema/model.fbs) of flatbuffer_size bytes, then zero
// padding, then the data section at data_offset (from the payload's start, a multiple of 64)
// up to the payload's end. checksum is XXH64 (seed 0) over all payload_size bytes.
struct FileHeader {
  char magic[8];
  uint32_t format_version;
  uint32_t header_size;
  uint64_t payload_size;
  uint64_t flatbuffer_size;
  uint64_t data_offset;
  uint64_t checksum;
  uint8_t reserved[16];
};
static_assert(sizeof(FileHeader) == 64, "the header is 64 bytes");

constexpr char kMagic[8] = {'E', 'D', 'G', 'E', 'R', 'T', 'M', '\0'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kDataAlignment = 64;

uint64_t PayloadChecksum(const void* data, size_t size);

// Builds a whole file from a finished FlatBuffers buffer and the data section bytes: header,
// payload, padding and data, with the checksum filled in.
std::vector<uint8_t> AssembleFile(const uint8_t* flatbuffer, size_t flatbuffer_size,
                                  const std::vector<uint8_t>& data);

}  // namespace edgert
