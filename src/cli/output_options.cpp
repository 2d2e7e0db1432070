#include "output_options.hpp"

namespace rmbg::cli {

void OutputOptions::add_to(CLI::App& app) {
  app.add_flag("--mask", mask, "Write the grey-scale alpha mask instead of the cut-out");
  app.add_option("--bg", background, "Fill the background with a colour: '#rrggbb' or a name")
      ->option_text("COLOUR");
  app.add_option("-f,--format", format, "png, webp or jpeg (default: from the output name, else png)")
      ->option_text("FORMAT");
  app.add_option("--depth", depth, "Bits per channel: 8, or 16 for PNG")
      ->check(CLI::IsMember({8, 16}))
      ->capture_default_str();
  app.add_option("--crop", crop, "Crop to the subject, keeping PX pixels around it")
      ->option_text("[PX]")
      ->expected(0, 1)
      ->default_str("0");
  app.add_option("--quality", quality, "Quality of JPEG and WebP output")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
}

OutputFormat OutputOptions::batch_format() const {
  return format.empty() ? OutputFormat::png : parse_format(format);
}

OutputSpec OutputOptions::spec(OutputFormat output_format) const {
  OutputSpec spec;
  spec.format = output_format;
  spec.kind = mask ? OutputKind::mask : OutputKind::foreground;
  spec.depth = depth;
  spec.quality = quality;
  if (crop) spec.crop = Margins::pixels(*crop);
  if (!background.empty()) spec.background = parse_colour(background);
  validate(spec);
  return spec;
}

}  // namespace rmbg::cli
