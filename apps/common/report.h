#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "edgert/model.h"
#include "edgert/session.h"
#include "edgert/tensor_desc.h"

namespace edgert::app {

// "(1,224,224,3,)" the way hrt_model_exec prints shapes.
std::string HrtShape(const std::vector<int64_t>& shape);

// Prints one tensor the way `hrt_model_exec model_info` does, indented by two spaces.
void PrintTensorDesc(std::ostream& os, const TensorDesc& d, const PreprocessInfo* pre);

// The JSON form of a tensor description; field names say their units.
nlohmann::json TensorDescJson(const TensorDesc& d, const PreprocessInfo* pre);

// Every JSON the tools write goes through this: `j` indented by 2. Names come from model files
// and need not be valid UTF-8 (an old compiler, a hand-made .bin): an invalid byte is written
// as U+FFFD instead of nlohmann::json's default, which throws.
std::string JsonText(const nlohmann::json& j);

// "x86_64, oneDNN ISA avx512_core_vnni (int8 VNNI), providers onednn > int8 > xnnpack > ...".
std::string EngineText(const EngineInfo& e);
// {"arch", "providers", "isa", "int8_vnni"}.
nlohmann::json EngineJson(const EngineInfo& e);

}  // namespace edgert::app
