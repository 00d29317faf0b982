#include <iostream>
#include <map>

#include "app/cli_commands.h"
#include "core/error.h"
#include "core/gallery/index.h"
#include "core/gallery/output_folder.h"

namespace atelier::cli {
namespace {

void print_report(const ScanReport& report) {
  std::cout << "added " << report.added << ", changed " << report.changed << ", removed " << report.removed
            << ", unchanged " << report.unchanged << ", skipped " << report.skipped.size();
  if (report.abandoned_removed) std::cout << ", removed " << report.abandoned_removed << " abandoned temporaries";
  std::cout << "\n";
  for (const auto& [path, reason] : report.skipped) std::cerr << "skipped " << path.string() << ": " << reason << "\n";
}

// One line an image: path, size, seed, model and the prompt's first line.
void print_images(const std::vector<IndexedImage>& images) {
  for (const auto& image : images) {
    std::cout << image.path.string() << "\t" << image.width << "x" << image.height << "\t" << image.seed << "\t"
              << image.model << "\t" << image.prompt.substr(0, image.prompt.find('\n')) << "\n";
  }
}

GallerySort sort_named(const std::string& name) {
  static const std::map<std::string, GallerySort> sorts{{"newest", GallerySort::newest_first},
                                                        {"oldest", GallerySort::oldest_first},
                                                        {"name", GallerySort::file_name},
                                                        {"largest", GallerySort::largest_first}};
  const auto found = sorts.find(name);
  if (found == sorts.end()) throw InvalidArgument("--sort takes newest, oldest, name or largest, not " + name);
  return found->second;
}

}  // namespace

// gallery scan [DIR] | gallery list [DIR] | gallery search TEXT [DIR]; list and search scan first.
int run_gallery(CommandLine& args) {
  GalleryQuery query;
  query.limit = args.int_value_or("limit", query.limit);
  query.offset = args.int_value_or("page", 0) * query.limit;
  query.model = args.value("model");
  query.sampler = args.value("sampler");
  query.favourites_only = args.flag("favourites");
  query.sort = sort_named(args.value_or("sort", "newest"));
  args.reject_unknown();

  auto words = args.positionals();
  const std::string action = words.empty() ? "" : words[0];
  const std::size_t wanted = action == "search" ? 3 : 2;
  if ((action != "scan" && action != "list" && action != "search") || words.size() < wanted - 1 ||
      words.size() > wanted) {
    throw InvalidArgument("usage: gallery scan [DIR] | gallery list [DIR] | gallery search TEXT [DIR]");
  }
  if (action == "search") query.text = words[1];
  const std::filesystem::path root = words.size() == wanted ? std::filesystem::path(words.back()) : default_output_folder();
  if (!std::filesystem::is_directory(root)) throw InvalidArgument("no folder " + root.string());

  GalleryIndex index(root, GalleryIndex::default_database(root));
  if (index.was_rebuilt())
    std::cerr << "the gallery index was damaged or of an older version and is rebuilt from the images\n";
  const ScanReport report = index.scan();
  if (action == "scan") {
    print_report(report);
  } else {
    print_images(index.query(query));
  }
  return 0;
}

}  // namespace atelier::cli
