"""The committed model is the one ``python CNN_model.py`` trains at this commit: the same settings, and the same
drawn style samples. Those go through the product's preprocessing, so a change there silently changes what the
default recipe trains on (it did once: the recipe then trained a model 0.07 points worse on MNIST than the one
committed); this check makes such a change retrain the committed model."""

import json
from dataclasses import asdict

from digits.constants import METADATA_FILE, MODELS_DIR
from digits.folders import LabelledImages
from digits.training.config import PRECISIONS, RECIPES
from digits.training.handwriting_sources import OPTDIGITS
from digits.training.other_writers import CHECKSUM_KEY, SOURCE_KEY
from digits.training.styles import CHECKED_SAMPLES, CHECKED_SAMPLES_KEY, style_samples

METADATA = json.loads((MODELS_DIR / METADATA_FILE).read_text(encoding="utf-8"))
RETRAIN = "the committed model is no longer what `python CNN_model.py` trains: retrain it"


def test_the_committed_model_was_trained_with_the_default_recipe():
    trained = dict(METADATA["training"])
    recipe = asdict(RECIPES["default"])
    assert trained.pop("precision") in PRECISIONS and recipe.pop("precision") == "auto"
    assert trained == recipe, RETRAIN


def test_the_default_recipe_still_draws_the_committed_models_style_samples():
    # The first of them, drawn alone, are exactly the first of the whole set (``styles.style_checksums``).
    settings = METADATA["training"]
    images, labels = style_samples(min(CHECKED_SAMPLES, settings["style_samples"]), settings["seed"])
    drawn = LabelledImages(images, labels, []).checksum()
    recorded = METADATA["data"]["sha256"][CHECKED_SAMPLES_KEY]
    assert drawn == recorded, f"the drawn style samples changed: {RETRAIN}"


def test_the_committed_model_learnt_from_optdigits_training_writers_only():
    # Which file its other writers' digits came from; the benchmark measures optdigits on the writers after them.
    recorded = METADATA["data"]["sha256"]
    assert METADATA["training"]["other_writers"] and CHECKSUM_KEY in recorded
    assert recorded[SOURCE_KEY] == OPTDIGITS.member_sha256 and OPTDIGITS.training_rows == 3823
