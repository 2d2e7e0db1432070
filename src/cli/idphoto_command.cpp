#include <atomic>
#include <cmath>
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "interruption.hpp"
#include "model_options.hpp"
#include "rmbg/error.hpp"
#include "rmbg/files.hpp"
#include "rmbg/idphoto.hpp"
#include "rmbg/print_sheet.hpp"

namespace fs = std::filesystem;

namespace rmbg::cli {
namespace {

// Above this enlargement the result looks soft: the user hears about it.
constexpr double kSoftEnlargement = 1.5;

struct IdPhotoCommandOptions {
  std::string input;
  std::string output;
  std::string size;
  std::string background = "white";
  std::string gradient;
  int dpi = kDefaultDpi;
  std::optional<double> kb;
  std::string layout;
  std::string sheet_output;
  std::string format;
  bool list_sizes = false;
  bool quiet = false;
  PipelineOptions pipeline;
};

std::string range_text(const Range& range) {
  char text[48];
  std::snprintf(text, sizeof text, "%g-%g mm", range.min, range.max);
  return text;
}

std::string position_text(const PhotoStandard& standard) {
  return standard.top_margin_mm ? "crown " + range_text(*standard.top_margin_mm) + " below the top"
                                : "eyes " + range_text(*standard.eye_line_mm) + " above the bottom";
}

int list_sizes(int dpi) {
  std::printf("%-12s %-14s %-11s %-14s %s\n", "NAME", "SIZE", "PIXELS", "HEAD", "POSITION");
  for (const auto& standard : photo_standards()) {
    const PixelSize px = pixel_size(standard, dpi);
    char size[32], pixels[32];
    std::snprintf(size, sizeof size, "%gx%g mm", std::round(standard.width_mm * 10) / 10,
                  std::round(standard.height_mm * 10) / 10);
    std::snprintf(pixels, sizeof pixels, "%dx%d", px.width, px.height);
    std::printf("%-12s %-14s %-11s %-14s %s\n", standard.name.c_str(), size, pixels,
                range_text(standard.head_height_mm).c_str(), position_text(standard).c_str());
    std::printf("%13s%s: %s\n", "", standard.title.c_str(), standard.source.c_str());
  }
  std::printf("\nPixels at %d DPI (--dpi). Custom sizes: --size 35x45mm or --size 413x531px.\n", dpi);
  std::printf("Print sheets (--layout):");
  for (const auto& sheet : sheet_sizes()) std::printf(" %s = %s;", sheet.name.c_str(), sheet.title.c_str());
  std::printf("\n");
  return 0;
}

OutputFormat format_of(const IdPhotoCommandOptions& o) {
  const std::string from_name = fs::path(o.output).extension().string();
  const OutputFormat format = parse_format(o.format.empty() ? (from_name.empty() ? "jpeg" : from_name) : o.format);
  if (!o.format.empty() && !from_name.empty() && parse_format(from_name) != format)
    throw Error(ErrorCode::invalid_argument, "--format " + o.format + " disagrees with the output name " + o.output);
  return format;
}

// photo.jpg -> photo-sheet.jpg
std::string default_sheet_path(const std::string& output) {
  fs::path path(output);
  const std::string extension = path.extension().string();
  path.replace_extension();
  return path.string() + "-sheet" + extension;
}

int run_idphoto(const IdPhotoCommandOptions& o) {
  if (o.list_sizes) return list_sizes(o.dpi);
  if (o.input.empty() || o.output.empty() || o.size.empty()) {
    std::fprintf(stderr, "rmbg idphoto: needs a photo, -o OUTPUT and --size (rmbg idphoto --help; "
                         "rmbg idphoto --list-sizes lists the sizes)\n");
    return 2;
  }
  IdPhotoOptions options;
  options.standard = find_photo_standard(o.size, o.dpi);
  options.dpi = o.dpi;
  options.background = parse_colour(o.background);
  if (!o.gradient.empty()) options.gradient_to = parse_colour(o.gradient);
  validate(options);
  const OutputFormat format = format_of(o);
  if (format == OutputFormat::webp) throw Error(ErrorCode::invalid_argument, "an ID photo is a JPEG or a PNG");
  std::optional<std::size_t> max_bytes;
  if (o.kb) max_bytes = static_cast<std::size_t>(*o.kb * 1024);
  if (max_bytes && format != OutputFormat::jpeg)
    throw Error(ErrorCode::invalid_argument, "--kb needs JPEG output: PNG has no quality to lower");
  const SheetSize* sheet = o.layout.empty() ? nullptr : &find_sheet_size(o.layout);
  const std::string sheet_path = !sheet ? "" : o.sheet_output.empty() ? default_sheet_path(o.output) : o.sheet_output;
  for (const std::string& output : {o.output, sheet_path})
    if (!output.empty() && fs::weakly_canonical(output) == fs::weakly_canonical(o.input))
      throw Error(ErrorCode::invalid_argument, "the output " + output + " is the portrait itself: refused");

  std::atomic<int> written{0};
  const StopOnSignal stop_on_signal([&](const char* signal) {
    std::fprintf(stderr, "rmbg: stopped by %s: %d of %d files written; no partial file is left\n", signal,
                 written.load(), sheet ? 2 : 1);
  });
  const Image photo = read_image(o.input, o.pipeline.decode_limits());
  const ModelManifest manifest = ModelManifest::load();
  const Engine matting(o.pipeline.model_spec(), o.pipeline.engine_options());
  const FaceDetector faces(manifest.find(manifest.face_detector), o.pipeline.engine_options());
  const IdPhoto result = IdPhotoMaker(matting, faces).make(photo, options, o.pipeline.cut_options(true));
  const EncodedPhoto encoded = encode_photo(result.image, format, max_bytes);
  write_file_atomic(o.output, encoded.bytes);
  ++written;

  const HeadPlacement& p = result.placement;
  if (!o.quiet) {
    std::fprintf(stderr, "%s: %s, %dx%d px at %d DPI; head %.1f mm; ", o.output.c_str(),
                 options.standard.title.c_str(), result.image.width(), result.image.height(), o.dpi,
                 p.head_height_mm);
    if (options.standard.top_margin_mm)
      std::fprintf(stderr, "crown %.1f mm below the top", p.top_margin_mm);
    else
      std::fprintf(stderr, "eyes %.1f mm above the bottom", p.eye_line_mm);
    std::fprintf(stderr, "; eyes levelled by %.1f degrees", p.roll_degrees);
    if (p.continued_mm > 0) std::fprintf(stderr, "; clothing continued %.1f mm past the photo's edge", p.continued_mm);
    if (format == OutputFormat::jpeg) std::fprintf(stderr, "; JPEG quality %d", encoded.quality);
    std::fprintf(stderr, "; %.1f KB\n", encoded.bytes.size() / 1024.0);
  }
  if (p.enlargement > kSoftEnlargement)
    std::fprintf(stderr, "rmbg: note: the face is small in this photo; it was enlarged %.1f times and will look soft\n",
                 p.enlargement);

  if (sheet) {
    const SheetLayout layout = plan_sheet(*sheet, result.image.width(), result.image.height(), o.dpi);
    write_file_atomic(sheet_path, encode_photo(render_sheet(result.image, layout), format).bytes);
    ++written;
    if (!o.quiet)
      std::fprintf(stderr, "%s: %zu copies on a %s sheet\n", sheet_path.c_str(), layout.photos.size(),
                   sheet->title.c_str());
  }
  return 0;
}

}  // namespace

Command add_idphoto_command(CLI::App& parent) {
  auto options = std::make_shared<IdPhotoCommandOptions>();
  auto& o = *options;
  CLI::App* app = parent.add_subcommand("idphoto", "Make an ID photo of a standard size from a portrait");
  app->footer(
      "Examples:\n"
      "  rmbg idphoto portrait.jpg -o id.jpg --size 1inch --bg blue\n"
      "  rmbg idphoto portrait.jpg -o visa.jpg --size us-visa --kb 240 --layout 6inch\n"
      "  rmbg idphoto portrait.jpg -o custom.png --size 413x531px --bg '#e8e8e8' --gradient white\n"
      "  rmbg idphoto --list-sizes\n"
      "\n"
      "The photo needs one face looking at the camera and the whole head in the picture. The eyes are\n"
      "levelled, the person cut out and put on the background, and the head sized and placed as the\n"
      "standard asks. Exit status: 0 when written, 1 when the photo cannot make an ID photo, 2 for bad usage,\n"
      "130 or 143 when stopped by SIGINT (Ctrl-C) or SIGTERM; a file is renamed into place only when complete.");
  app->add_option("input", o.input, "The portrait")->option_text("INPUT");
  app->add_option("-o,--output", o.output, "The ID photo: .jpg or .png")->option_text("OUTPUT");
  app->add_option("-s,--size", o.size, "A size from --list-sizes, or WxHmm, or WxHpx")->option_text("NAME");
  app->add_option("--bg", o.background, "Background: white, blue (#438edb), red (#ff0000), or #rrggbb")
      ->option_text("COLOUR")
      ->capture_default_str();
  app->add_option("--gradient", o.gradient, "Fade the background from --bg at the top to this colour at the bottom")
      ->option_text("COLOUR");
  app->add_option("--dpi", o.dpi, "Print resolution, written into the file")
      ->check(CLI::Range(kMinDpi, kMaxDpi))
      ->capture_default_str();
  app->add_option("--kb", o.kb, "Largest file size in KB (JPEG): the highest quality that fits")
      ->check(positive_up_to_a_million())
      ->option_text("KB");
  auto* layout = app->add_option("--layout", o.layout, "Also make a print sheet: 6inch (4x6 in) or 5inch (3.5x5 in)")
                     ->option_text("SHEET");
  app->add_option("--sheet", o.sheet_output, "Where the print sheet goes (default: OUTPUT-sheet.jpg)")
      ->option_text("FILE")
      ->needs(layout);
  app->add_option("-f,--format", o.format, "jpeg or png (default: from the output name)")->option_text("FORMAT");
  app->add_flag("--list-sizes", o.list_sizes, "List the sizes, their head rules and sources, and the print sheets");
  app->add_flag("-q,--quiet", o.quiet, "Report failures only");
  o.pipeline.add_to(*app);
  return {app, [options] { return run_idphoto(*options); }};
}

}  // namespace rmbg::cli
