"""Training and tuning never reach the test split: every way to test-split data is sealed (it
raises, and the attempt is recorded in case a caller swallowed the error), then the training data
and a trial of the smoke profile run end to end."""
import pytest

from seed.generator import catalog, fashion_mnist, realshot
from training import data as training_data
from training import trial
from training.config import for_profile
from training.data import ForbiddenSplitError, load_train_data, refuse_test_split, split_products


class Sealed(AssertionError):
    """Raised by a sealed function asked for the test split."""


class Seal:
    def __init__(self):
        self.attempts = []   # (function, what it was asked for)
        self.catalogues = []  # the `splits` of every build_catalog call

    def refuse(self, where: str, what) -> None:
        self.attempts.append((where, what))
        raise Sealed(f"{where} asked for the test split ({what!r})")


@pytest.fixture
def seal(monkeypatch):
    s = Seal()
    load_split, load, path = fashion_mnist.load_split, fashion_mnist._load, fashion_mnist._path

    def sealed_load_split(source):
        if source != "train":
            s.refuse("fashion_mnist.load_split", source)
        return load_split(source)

    def sealed_load(source):
        if source != "train":
            s.refuse("fashion_mnist._load", source)
        return load(source)

    def sealed_path(name):
        if name in fashion_mnist.FILES["test"]:
            s.refuse("fashion_mnist._path", name)
        return path(name)

    monkeypatch.setattr(fashion_mnist, "load_split", sealed_load_split)
    monkeypatch.setattr(fashion_mnist, "_load", sealed_load)
    monkeypatch.setattr(fashion_mnist, "_path", sealed_path)

    def by_split(module, name):
        real = getattr(module, name)

        def sealed(split, *args, **kwargs):
            if split == "test":
                s.refuse(f"{module.__name__}.{name}", split)
            return real(split, *args, **kwargs)

        monkeypatch.setattr(module, name, sealed)

    for name in ("select_styles", "style_products", "make_text_queries", "make_clicks"):
        by_split(catalog, name)
    by_split(catalog, "realshot_queries")
    build = catalog.build_catalog

    def sealed_build(profile, log=None, splits=None):
        s.catalogues.append(splits)
        if splits is None or "test" in splits:
            s.refuse("catalog.build_catalog", splits)
        return build(profile, log=log, splits=splits)

    monkeypatch.setattr(catalog, "build_catalog", sealed_build)

    def by_spec(module, name):
        real = getattr(module, name)

        def sealed(base28, spec, *args, **kwargs):
            if spec["source"] == "test":
                s.refuse(f"{module.__name__}.{name}", spec)
            return real(base28, spec, *args, **kwargs)

        monkeypatch.setattr(module, name, sealed)

    by_spec(training_data, "render")
    by_spec(training_data, "photograph")
    by_spec(realshot, "photograph")
    return s


def test_the_seal_holds(seal):
    """Asking for the test split through any sealed door raises and is recorded."""
    with pytest.raises(Sealed):
        fashion_mnist.load_split("test")
    with pytest.raises(Sealed):
        catalog.build_catalog("smoke")
    with pytest.raises(Sealed):
        catalog.select_styles("test", 1)
    assert [a[0] for a in seal.attempts] == ["fashion_mnist.load_split", "catalog.build_catalog",
                                             "seed.generator.catalog.select_styles"]


def test_training_data_and_a_trial_never_touch_the_test_split(seal, tmp_path):
    log = lambda _msg: None  # noqa: E731
    data = load_train_data(for_profile("smoke"), log)
    ids = data.product_ids + data.validation.product_ids
    assert len(data.product_ids) == 200 and len(data.validation.product_ids) == 200
    assert not [i for i in ids if i.startswith("p-test-")]
    assert {p["split"] for p in data.products} == {"train"}
    assert {p["split"] for p in data.validation.products} == {"validation"}
    assert len(data.validation.photos) == 10 and len(data.validation.composed) > 0

    rows = trial.main(["--profile", "smoke", "--styles", "8", "--epochs", "1", "--min-relevant", "1",
                       "--variant", "{}", "--out", str(tmp_path / "trial.json")])
    assert rows and rows[0]["photos"] == 10
    assert seal.attempts == []
    assert seal.catalogues == [("train", "validation")] * 2


def _leaky(monkeypatch, leak):
    build = catalog.build_catalog

    def leaky(profile, log=None, splits=None):
        cat = build(profile, log=log, splits=splits)
        leak(cat)
        return cat

    monkeypatch.setattr(catalog, "build_catalog", leaky)


def test_loading_refuses_a_catalogue_holding_a_test_product(monkeypatch):
    def add_product(cat):
        p = cat.products_of("train")[0]
        cat.products.append(dict(p, id="p-test-00000-0", styleId="s-test-00000", split="test"))

    _leaky(monkeypatch, add_product)
    with pytest.raises(ForbiddenSplitError, match="1 products"):
        load_train_data(for_profile("smoke"), lambda _msg: None)


def test_loading_refuses_test_rows_in_any_set(monkeypatch):
    def add_photo(cat):
        row = dict(cat.realshot["validation"][0], split="test", productId="p-test-00000-0")
        cat.realshot["validation"].append(row)

    _leaky(monkeypatch, add_photo)
    with pytest.raises(ForbiddenSplitError, match="realshot"):
        load_train_data(for_profile("smoke"), lambda _msg: None)


def test_a_split_is_read_only_when_it_is_a_training_split():
    cat = catalog.build_catalog("smoke", splits=("validation",))
    refuse_test_split(cat)
    with pytest.raises(ForbiddenSplitError):
        split_products(cat, "test")
    cat.splits = ("validation", "test")
    with pytest.raises(ForbiddenSplitError, match="splits"):
        refuse_test_split(cat)
