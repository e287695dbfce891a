#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edgert/status.h"

namespace edgert::app {

// An 8-bit BGR image, rows packed (stride = width * 3).
struct BgrImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> bgr;
};

// Decodes a JPEG, PNG or BMP file (recognized by its first bytes, not its name) into what
// OpenCV 4.6's cv::imread(path, IMREAD_COLOR) returns, byte for byte, without OpenCV's
// imgcodecs (whose Debian build pulls GDAL and ~140 MB of libraries onto the board):
//  - JPEG through libjpeg-turbo with its default decompression settings (islow IDCT, fancy
//    upsampling), gray expanded to BGR; CMYK JPEGs are refused;
//  - PNG through libpng: palette and gray expanded, 16-bit reduced to 8, alpha dropped;
//  - BMP: uncompressed 24- and 32-bit, and 1-, 4- and 8-bit with a palette; others refused;
//  - the EXIF orientation tag (JPEG APP1, PNG eXIf; read with libexif) rotates or flips the
//    result as imread does.
// Errors name the file and what is wrong with it.
Result<BgrImage> DecodeImageFile(const std::string& path);

}  // namespace edgert::app
