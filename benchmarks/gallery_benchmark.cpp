// gallery_benchmark [COUNT]: the gallery index over COUNT (default 10,000) synthetic PNGs with
// A1111 metadata: first scan, unchanged rescan, search latency p50/p99 and the first page.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/gallery/image_output.h"
#include "core/gallery/index.h"

namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

const char* const kWords[] = {"lighthouse", "forest", "portrait", "castle", "river", "dragon", "city", "garden",
                              "mountain", "ocean", "robot", "cat"};

}  // namespace

int main(int argc, char** argv) {
  using namespace atelier;
  const int count = argc > 1 ? std::stoi(argv[1]) : 10000;
  const auto root = std::filesystem::temp_directory_path() / "atelier-gallery-benchmark";
  std::filesystem::remove_all(root);

  auto start = Clock::now();
  GeneratedImage image;
  image.image = Image8{8, 8, std::vector<std::uint8_t>(8 * 8 * 3, 90)};
  image.params.model = "/models/v1-5-pruned-emaonly.safetensors";
  image.params.negative_prompt = "blurry, low quality";
  for (int i = 0; i < count; ++i) {
    image.params.prompt = std::string("a ") + kWords[i % 12] + " at dusk, " + kWords[(i / 12) % 12] + ", detailed";
    image.params.seed = i;
    const auto folder = root / ("day-" + std::to_string(i / 1000));
    std::filesystem::create_directories(folder);
    char name[32];
    std::snprintf(name, sizeof name, "%05d-%d.png", i, i);
    save_generated_image(folder / name, image);
  }
  std::printf("wrote %d PNGs: %.0f ms\n", count, milliseconds_since(start));

  GalleryIndex index(root, GalleryIndex::default_database(root));
  start = Clock::now();
  const auto first = index.scan();
  std::printf("first scan (%d added): %.0f ms\n", first.added, milliseconds_since(start));
  start = Clock::now();
  const auto again = index.scan();
  std::printf("unchanged rescan (%d unchanged): %.1f ms  [goal < 1000 ms]\n", again.unchanged, milliseconds_since(start));

  std::vector<double> latencies;
  for (int round = 0; round < 10; ++round) {
    for (const char* word : kWords) {
      GalleryQuery query;
      query.text = word;
      start = Clock::now();
      index.query(query);
      latencies.push_back(milliseconds_since(start));
    }
  }
  std::sort(latencies.begin(), latencies.end());
  std::printf("search (first page of 50), %zu queries: p50 %.2f ms, p99 %.2f ms  [goal < 20 ms]\n", latencies.size(),
              latencies[latencies.size() / 2], latencies[latencies.size() * 99 / 100]);

  start = Clock::now();
  const auto page = index.query(GalleryQuery{});
  std::printf("first page, newest first (%zu rows): %.2f ms\n", page.size(), milliseconds_since(start));
  std::filesystem::remove_all(root);
  return 0;
}
