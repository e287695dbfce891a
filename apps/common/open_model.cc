#include "common/open_model.h"

#include <chrono>

namespace edgert::app {

Result<OpenedModel> OpenModel(const ModelParams& p, bool every_model_if_unnamed) {
  const auto t0 = std::chrono::steady_clock::now();
  OpenedModel opened;
  auto file = ModelFile::Open(p.model_file, {p.cache_dir});
  if (!file.ok()) return file.status();
  opened.file = *file;
  std::vector<std::string> names = {p.model_name};
  if (p.model_name.empty() && every_model_if_unnamed) names = opened.file->model_names();
  for (const std::string& name : names) {
    auto model = opened.file->GetModel(name);
    if (!model.ok()) return model.status();
    opened.models.push_back(*model);
  }
  opened.load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return opened;
}

}  // namespace edgert::app
