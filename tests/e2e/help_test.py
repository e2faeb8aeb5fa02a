"""`pumptrackd --help` and `pumptrack-agent --help` list every flag the program defines, with its help text, and none
of the flags gRPC and Abseil define (issue #14, item 6).

The expected flags are read from the program's own source file (every ABSL_FLAG in service/main.cc or agents/main.cc),
so a flag added later is covered without editing this test.
"""
import os
import re
import subprocess
import unittest

PUMPTRACKD = os.environ["PUMPTRACKD"]
AGENT = os.environ["PUMPTRACK_AGENT"]
SOURCE_DIR = os.environ["PUMPTRACK_SOURCE_DIR"]

# Flags Abseil itself defines (parsing and usage); none may appear in --help.
ABSEIL_FLAGS = ["flagfile", "fromenv", "tryfromenv", "undefok", "helpfull", "helppackage", "only_check_args",
                "helpon", "helpmatch"]


def own_flags(source):
    with open(os.path.join(SOURCE_DIR, source)) as f:
        text = f.read()
    flags = re.findall(r"ABSL_FLAG\(\s*[^,]+,\s*(\w+)\s*,\s*[^,]+,\s*\"([^\"]*)\"", text, re.S)
    return dict(flags)


class HelpTest(unittest.TestCase):
    def check_help(self, binary, source, must_have):
        result = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
        text = result.stdout + result.stderr
        flat = " ".join(text.split())  # help texts are wrapped at 80 columns
        self.assertNotIn("No flags matched", text)
        flags = own_flags(source)
        for name in must_have:
            self.assertIn(name, flags, f"{name} is not an ABSL_FLAG of {source}")
        self.assertGreater(len(flags), 5)
        for name, help_start in flags.items():
            self.assertRegex(text, rf"(?m)^\s+--{name} \(", f"--{name} missing from {binary} --help:\n{text}")
            first_words = " ".join(help_start.split()[:3])
            if first_words:
                self.assertIn(first_words, flat, f"help text of --{name} missing")
        for name in ABSEIL_FLAGS:
            self.assertNotRegex(text, rf"(?m)^\s+--{name} \(", f"Abseil's --{name} listed by {binary} --help")
        # Nothing listed beyond the program's own flags (an entry is "    --name (help); default: ...").
        listed = set(re.findall(r"(?m)^\s+--(\w+) \(", text))
        self.assertEqual(listed, set(flags), text)
        # Every "Flags from FILE:" section is the program's own file.
        sections = re.findall(r"Flags from (\S+):", text)
        self.assertTrue(sections, text)
        for section in sections:
            self.assertTrue(section.endswith(source), f"flags of {section} listed by {binary} --help")
        # --helpshort lists the same own flags.
        short = subprocess.run([binary, "--helpshort"], capture_output=True, text=True, timeout=30)
        for name in flags:
            self.assertRegex(short.stdout + short.stderr, rf"(?m)^\s+--{name} \(")

    def test_pumptrackd_help_lists_its_own_flags(self):
        self.check_help(PUMPTRACKD, "service/main.cc", ["data_dir", "grpc_listen", "min_free_disk_mb", "tls_cert"])

    def test_agent_help_lists_its_own_flags(self):
        self.check_help(AGENT, "agents/main.cc", ["server", "buffer_dir", "adapter", "tls_ca", "interval"])


if __name__ == "__main__":
    unittest.main()
