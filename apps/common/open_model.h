#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/cli.h"
#include "edgert/model.h"
#include "edgert/status.h"

namespace edgert::app {

// The model file a tool opened and the model(s) it selected from it.
struct OpenedModel {
  std::shared_ptr<const ModelFile> file;  // load_phases() says where opening spent its time
  // --model_name's model; with an empty --model_name the only model of the file, or, when
  // OpenModel was asked for every model, all of them in file order.
  std::vector<std::shared_ptr<const Model>> models;
  double load_ms = 0;  // wall time of opening, checking and selecting, in ms

  const std::shared_ptr<const Model>& model() const { return models.front(); }
};

// Opens p.model_file (header, checksum and FlatBuffers checks; with p.cache_dir the start-up
// cache's checksum stamps) and selects p.model_name.
// `every_model_if_unnamed`: an empty --model_name selects every model of a packed file instead
// of being an error there. Errors name the file; an unknown model name is kInvalidArgument.
Result<OpenedModel> OpenModel(const ModelParams& p, bool every_model_if_unnamed = false);

}  // namespace edgert::app
