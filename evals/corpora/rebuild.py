"""Rebuild a corpus folder from a clone of the product's repository, as README.md ("Rebuilding the corpus
folders") describes: the pages listed in `<slug>.sources.txt`, at the pinned commit, with a small front matter.

    python evals/corpora/rebuild.py flagsmith --repo <clone of Flagsmith/flagsmith> --out <corpus root>

`--repo` is a clone (or a bare mirror) holding the pinned commit; the folder `<corpus root>/<slug>/` is written.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
# slug: (pinned commit, the documentation subfolder dropped from each path)
PRODUCTS = {
    "flagsmith": ("1ad8487ba7aabedd3cdfbcf3e7d772784d3e1aae", "docs/docs/"),
    "plausible": ("208d58cab715dffc0ab4e3bd100b2ed0c0e7a0c0", "docs/"),
    "aiven": ("073a07fc15a5fc1d266df4bf433f9549bf46515d", "docs/"),
    "mattermost": ("9dd1c713ed5ec6482ae9845228f23147936457af", "source/"),
    "netbird": ("d905fda2a3f04a2066746875d09e51a3fe62dfed", "src/pages/"),
    "ory": ("378ce260155b907bc21f4dfd84a475adaa689c89", "docs/"),
    "growthbook": ("8f1db4456915a8e7b7faf23d5632ca7219d2f469", "docs/"),
    "openziti": ("dd866291dd5a3169471ac36f9cebd999bbd9611c", "docusaurus/docs/"),
    "meilisearch": ("52a04d8aec7990caca1a57424e0a92b54ce5d0b5", ""),
    "hoppscotch": ("97f922080b91990744c57ebbfad9bbb6b85d515f", ""),
    "questdb": ("3c2e4da883c477478d69391396bfd39e475944c9", "documentation/"),
    "casdoor": ("bbf9863935e7f2d946e193d347ab349453c3ff9f", "docs/"),
    "harbor": ("9f010ab1c800e0353c3df96a0b23725294bd10ab", "docs/"),
    "saleor": ("b2b6c652939d57f6d1870f04a5a8a2482b1021ec", "docs/"),
    "apisix": ("f519a0f04ccfd4c13b5d06caf34bcde8c8593980", "docs/en/latest/"),
    "linkerd": ("93f001753363bba09eafd81e290512f89f4697ed", "linkerd.io/content/2.19/"),
    "longhorn": ("0f622500d3b8233f6f160932851f7189e3f8ba0e", "content/docs/1.12.2/"),
    "minio": ("35f2bb81280a3573c64947e8bd979e2c7026d2dd", "source/"),
    "formbricks": ("b66c1dd978af618a0e402bd3343b456bed68594c", "docs/"),
    "documenso": ("75330166cc00b29c14399bc2e391e4b4d8080c00", "apps/docs/content/docs/"),
    "traefik": ("fd5a576df2e8aeb0bfc8a96b6ef6e60a61f7ec0a", "docs/content/"),
    "chatwoot": ("29cf71bf754e4b21617cc95979d680b84da5c124", ""),
    "zammad": ("ca3d14bfc1a3ecf611dd07c2bd3d633089b235b7", ""),
    "certmanager": ("776e5dba56510fc9de84206b806b568447077f25", "content/docs/"),
    "mender": ("311b67d81a2d129af553488975ffd7f89e1ba649", ""),
    "nats": ("98856081c8843d9fa238b3ea96e1f72d07f31113", ""),
    "jitsi": ("39ea55309eff25a339b4c31fa5367f25842c0f5a", "docs/"),
    "openreplay": ("ef632f3bcda67e61aa2bc02e417f9d7de4018353", "src/pages/en/v1.26.0/"),
    "authelia": ("23572030b4048922a377ca40d59e804e0ed25fd7", "docs/content/"),
    "dapr": ("0748da594aae03529034fd4aa1d10d96199df0c1", "daprdocs/content/en/"),
    "argocd": ("37ee0097cf851bc2dd7665fc081bbce61a7e836e", "docs/"),
    "kopia": ("4ebb2be6c5036aaf21107234b0d5f9757eb1aa99", "site/content/docs/"),
    "velero": ("d30d389b56068eebd675d9953492183cb7b58a78", "site/content/docs/main/"),
    "unleash": ("b4d59d28681ff4257b5d100ae84040ded3c4bdc8", "website/docs/"),
    "teleport": ("cfc34800ba33ff11cbdb9c2ce842012f595488ec", "docs/pages/"),
    "buildkite": ("35cf0294c6ea68f41d90da114120d73278f6fc0b", "pages/"),
    "infisical": ("593bda8bc62766634a00f6c4c8a800edc302bc43", "docs/"),
    "cloudhub": ("261d3c88c0419c66645caae41335aeeb518fc332", ""),
    "supabase": ("124cddf0d7d6924e27e97c39aea2871a115d23e7", "apps/docs/content/guides/"),
    "cypress": ("4df0c75e373515c33269176d556219950487e085", "docs/"),
    "flyio": ("5c22c8cece71e1cf83fab3189c9f7301573f4d6e", ""),
    "prefect": ("ce79dd3d6cfa2b7337265498210dbc4d25bcdc98", "docs/"),
    "kong": ("bc1cd74260f0bddb06dcf004c9c34b53bb870c1a", "app/"),
    "spacelift": ("6e9746fefd4ef10fc7c4b68567356a98d3c07c56", "docs/"),
    "checkly": ("5bf1be471bc0a40a93b3e11f49696e0115a4e700", "site/content/docs/"),
    "hatchet": ("89d130f303c9561442804c9c32b8748e699d5139", "frontend/docs/content/docs/"),
    "codemagic": ("2384da942fa7d012703b2efc7b6d0fa895953ad1", "content/"),
    "defectdojo": ("7cfa159a6767b0ac6e66f3b1597a997e607e7308", "docs/content/"),
    "railway": ("c2a634f1b3891ac2947c2e875006d986748860a5", "content/"),
    "okteto": ("975e64fe965fe0de53a90b01bbb4ccca35d141fa", "versioned_docs/version-1.47/"),
    "huggingface": ("242f4a1eeb867daf4ac3f44026a5df4a68908a3d", "docs/"),
    "triggerdotdev": ("b082e44389337dc6505d590737a6df70867cc8f4", "docs/"),
    "highlight": ("5099514e6288713fcdf2b1911cf2ff6c324867fa", "docs-content/"),
    "kuma": ("a92a32a838f520d5a641b0e7d2ec1cacacd6602d", "app/_src/"),
    "milvus": ("54a32fdaebb0cd177619e76959d1e842dff3bbb1", "site/en/"),
}
_FRONT_MATTER = re.compile(r"\A\s*---\n(.*?)\n---\n", re.DOTALL)  # some pages open with a blank line
_OWN_COMMIT = re.compile(r"^(.*\S)\s+([0-9a-f]{40})$")
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+:.])\1{2,}\s*$")


def _git_show(repo: Path, commit: str, path: str) -> str:
    git_dir = repo / ".git" if (repo / ".git").exists() else repo
    shown = subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"], capture_output=True, text=True, check=True
    )
    return shown.stdout


def _title(front: dict[str, object], body: str, path: str) -> str:
    if front.get("title"):
        return str(front["title"])
    lines = body.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("# ") or (path.endswith(".adoc") and line.startswith("= ")):
            return line[2:].strip()
        heading = line.strip()
        if path.endswith(".rst") and heading and index + 1 < len(lines) and _UNDERLINE.match(lines[index + 1]):
            if not _UNDERLINE.match(line) and len(lines[index + 1].strip()) >= len(heading):
                return heading
    return Path(path).stem


def rebuild(slug: str, repo: Path, out: Path) -> int:
    commit, prefix = PRODUCTS[slug]
    lines = [line.strip() for line in (HERE / f"{slug}.sources.txt").read_text().splitlines() if line.strip()]
    for line in lines:  # a page may name the commit it was read at, after a space, when not the product's
        own = _OWN_COMMIT.match(line)
        source = own[1] if own else line
        text = _git_show(repo, own[2] if own else commit, source)
        match = _FRONT_MATTER.match(text)
        front = (yaml.safe_load(match[1]) or {}) if match else {}
        body = (text[match.end() :] if match else text).lstrip("\n")
        relative = source.removeprefix(prefix)
        relative = relative[: -len(".mdx")] + ".md" if relative.endswith(".mdx") else relative
        target = out / slug / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        title = json.dumps(_title(front if isinstance(front, dict) else {}, body, source), ensure_ascii=False)
        target.write_text(f"---\ntitle: {title}\nsource: {json.dumps(source)}\n---\n\n{body}")
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slug", choices=sorted(PRODUCTS))
    parser.add_argument("--repo", type=Path, required=True, help="a clone holding the pinned commit")
    parser.add_argument("--out", type=Path, required=True, help="the corpus root; <out>/<slug>/ is written")
    options = parser.parse_args()
    count = rebuild(options.slug, options.repo, options.out)
    print(f"{options.slug}: {count} pages written to {options.out / options.slug}")


if __name__ == "__main__":
    main()
