#pragma once
// The sd1-tiny-networks fixture and the sd1-tiny model its networks were made for.
#include "core/models/stable_diffusion.h"
#include "core/networks/network_file.h"
#include "support/fixtures.h"
#include "support/reference_fixture.h"

namespace atelier::test {

inline const ReferenceFixture& networks_fixture() {
  static const ReferenceFixture fixture("sd1-tiny-networks");
  return fixture;
}

// The network file the fixture calls `name` (its `networks[].file`), read once.
inline std::shared_ptr<const NetworkFile> fixture_network(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const NetworkFile>> files;
  auto& file = files[name];
  if (!file)
    for (const auto& network : networks_fixture().json()["networks"])
      if (network["name"] == name || network["alias"] == name)
        file = std::make_shared<const NetworkFile>(read_network_file(networks_fixture().path(network["file"])));
  return file;
}

// The checkpoint tensor `key` as the loaded model holds it.
inline at::Tensor model_tensor(StableDiffusionModel& model, const std::string& key) {
  for (auto& encoder : model.text_encoders)
    if (key.starts_with(encoder.info.prefix))
      return encoder.network->named_parameters()[key.substr(encoder.info.prefix.size())];
  const std::string unet = "model.diffusion_model.";
  return model.unet->named_parameters()[key.substr(unet.size())];
}

// Every parameter of the three networks of `model`, by checkpoint-style name.
inline std::map<std::string, at::Tensor> all_weights(StableDiffusionModel& model) {
  std::map<std::string, at::Tensor> weights;
  for (auto& encoder : model.text_encoders)
    for (const auto& item : encoder.network->named_parameters()) weights[encoder.info.prefix + item.key()] = item.value();
  for (const auto& item : model.unet->named_parameters()) weights["unet." + item.key()] = item.value();
  for (const auto& item : model.vae->named_parameters()) weights["vae." + item.key()] = item.value();
  return weights;
}

}  // namespace atelier::test
