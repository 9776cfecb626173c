// main() for the fuzz targets in builds without libFuzzer (gcc, or clang without
// PASSBOOK_FUZZ): runs LLVMFuzzerTestOneInput once on every file named on the command line, or
// found (recursively, in name order) in a directory named there. A violated property aborts, so
// the CTest test fails and names the file last started.
//
//   fuzz_note_replay tests/fuzz/corpus/fuzz_note tests/fuzz/regressions/fuzz_note
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

std::vector<std::filesystem::path> inputs_in(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> out;
  if (std::filesystem::is_directory(path)) {
    for (const auto& item : std::filesystem::recursive_directory_iterator(path)) {
      const std::string name = item.path().filename().string();
      // README.md and .gitkeep describe a directory; they are not inputs.
      if (item.is_regular_file() && !name.starts_with(".") && !name.ends_with(".md")) {
        out.push_back(item.path());
      }
    }
    std::sort(out.begin(), out.end());
  } else {
    out.push_back(path);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    if (!std::filesystem::exists(argv[i])) {
      std::fprintf(stderr, "no such file or directory: %s\n", argv[i]);
      return 2;
    }
    for (const auto& file : inputs_in(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      if (!in.good() && !in.eof()) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return 2;
      }
      std::fprintf(stderr, "replaying %s (%zu bytes)\n", file.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++count;
    }
  }
  std::printf("%zu inputs replayed, every property held\n", count);
  return 0;
}
