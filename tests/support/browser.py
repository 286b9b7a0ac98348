"""Headless Chromium for the console's browser tests: Debian's chromium + chromium-driver,
driven by selenium. A missing browser fails under CI=true (prerequisites.unavailable)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from prerequisites import unavailable

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)


def artifacts_dir() -> Path:
    """Where screenshots go: $HELIXFLOW_TEST_ARTIFACTS/console, default test-artifacts/console."""
    root = Path(os.environ.get("HELIXFLOW_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
    path = root / "console"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def chromium(user_data_dir: Path) -> Iterator[WebDriver]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (pip install -e '.[dev]')")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        unavailable("Debian chromium and chromium-driver are not installed (tools/setup-system.sh)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*FLAGS, f"--user-data-dir={user_data_dir}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()
