import CommandLineKit


let generalHelp = """
    preflight \(toolVersion) — checks headshot photos for talking-photo avatar services
    (HeyGen photo avatars and Avatar IV, Azure custom photo avatars, and services like them).

    USAGE
      preflight check PATH... [options]   check photos and folders against a profile
      preflight fix PATH... --out DIR     write fixed copies that pass (originals untouched)
      preflight upload PATH...            upload photos that pass to HeyGen, each content once
      preflight rules [options]           list the rules and the profile's thresholds
      preflight --help | --version

    Run `preflight help check`, `help fix`, `help upload` or `help rules` for the options.

    EXIT CODES
      0  every file passed (warnings allowed unless --strict)
      1  at least one file failed, or is fixable but not yet fixed
      2  usage or configuration error: nothing was checked
      3  the photos were processed, but the report file (--output, --report) could not be written

    """

let checkHelp = """
    USAGE
      preflight check PATH... [options]

    Checks each photo (folders are walked recursively; hidden entries are skipped; files that are
    not photos are skipped and counted; links to nothing, FIFOs and folders that cannot be read are
    named) and prints, per file, PASS / WARN / FIXABLE / FAIL with the reasons and what to do.
    Originals are only read, never changed. File names are shown with control characters and bytes
    that are not UTF-8 escaped (\\n, \\xE9); JSON also gives such a path's bytes (path_base64).

    OPTIONS
      --profile NAME        rules profile (default: the rules file's default_profile)
      --rules FILE          rules file (default: the built-in rules, the same as the shipped rules.json)
      --format FORMAT       text (default), json, junit or github (workflow annotations)
      --output FILE         write the report to FILE (atomically); a summary still goes to stdout
      --jobs N              files checked at once (1–1024; default: the number of cores)
      --memory-limit MIB    memory the decodes may hold at once, all workers together (64–1048576;
                            default 192): a large photo waits for the others; one that needs more
                            than all of it (a decompression bomb) fails the decode rule
      --strict              warnings fail too (exit 1)
      --quiet               text: list only files that do not pass
      --header-only         read headers only (format, size, resolution, orientation, metadata):
                            skips decoding, so damaged pixel data is not found
      --no-progress         no progress line on stderr
      --cascades DIR        folder with OpenCV's haarcascades/ (default: $PREFLIGHT_CASCADES, then
                            /usr/share/opencv4 from Debian's opencv-data, /usr/local, Homebrew)
      --models DIR          folder with the face model face_detection_yunet_2023mar.onnx (default:
                            $PREFLIGHT_MODELS, then ~/.local/share/preflight/models, where
                            scripts/install-deps.sh puts it, then /usr/local/share, /usr/share)
      --detector D          yunet (default: the CNN face detector, with landmarks) or cascade
                            (OpenCV's Haar cascades alone, the detector before YuNet)
      --debug-dir DIR       write an annotated PNG per photo: face box, eyes, margins, cheek patches

    """

let rulesHelp = """
    USAGE
      preflight rules [--profile NAME] [--rules FILE] [--schema]

    Lists every rule with its severity and thresholds in the profile. With --schema, prints the
    JSON Schema of the rules file instead.

    """
