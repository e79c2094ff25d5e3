"""Governed files: one loader, and a broken file is one line naming the file and the failing field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, Field

from approvals.policy import DEFAULT_POLICY, PolicyError, load_policy
from core.governed import GovernedFileError, load_governed
from integrations.cpq.catalog import DEFAULT_CATALOG, load_catalog
from integrations.cpq.errors import CatalogError


class Price(BaseModel):
    sku: str
    amount: float = Field(gt=0)


class PriceList(BaseModel):
    version: str
    prices: list[Price]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_comes_back_as_its_model(tmp_path):
    path = write(tmp_path, "version: '1'\nprices:\n  - {sku: A, amount: 10}\n")
    assert load_governed(path, PriceList, what="price list") == PriceList(
        version="1", prices=[Price(sku="A", amount=10)]
    )


def test_an_invalid_field_is_named_by_its_path_on_one_line(tmp_path):
    path = write(tmp_path, "version: '1'\nprices:\n  - {sku: A, amount: 10}\n  - {sku: B, amount: -1}\n")
    with pytest.raises(GovernedFileError) as refused:
        load_governed(path, PriceList, what="price list")
    assert str(refused.value) == f"price list {path}: prices.1.amount: Input should be greater than 0"


def test_every_problem_is_counted_but_only_the_first_is_spelled_out(tmp_path):
    path = write(tmp_path, "prices:\n  - {sku: B, amount: -1}\n")
    with pytest.raises(GovernedFileError, match=r"version: Field required \(and 1 more\)$"):
        load_governed(path, PriceList, what="price list")


def test_broken_yaml_says_where_on_one_line(tmp_path):
    path = write(tmp_path, "version: '1'\nprices:\n  - {sku: A, amount: 10\n")
    with pytest.raises(GovernedFileError) as refused:
        load_governed(path, PriceList, what="price list")
    message = str(refused.value)
    assert message.startswith(f"price list {path} cannot be read: line ") and "\n" not in message


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(GovernedFileError, match="cannot be read: No such file or directory"):
        load_governed(tmp_path / "absent.yaml", PriceList, what="price list")


def test_the_catalog_error_names_the_sku_price_that_is_wrong(tmp_path):
    catalog = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    currency = next(iter(catalog["skus"][3]["prices"]))
    catalog["skus"][3]["prices"][currency] = "lots"
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(catalog), encoding="utf-8")
    with pytest.raises(CatalogError) as refused:
        load_catalog(path)
    assert isinstance(refused.value, GovernedFileError)
    assert str(refused.value).startswith(f"catalog {path}: skus.3.prices.{currency}: Input should be")


def test_a_rule_of_the_policy_reads_as_its_own_sentence(tmp_path):
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy["discount_bands"][0]["levels"] = ["boss"]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    assert isinstance(refused.value, GovernedFileError)
    assert str(refused.value).startswith(f"policy {path}: discount band ")
    assert "unknown level boss" in str(refused.value) and "Value error" not in str(refused.value)
