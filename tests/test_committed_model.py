"""The committed model is the one ``python CNN_model.py`` trains at this commit: the same settings, and the same
drawn style samples. Those go through the product's preprocessing, so a change there silently changes what the
default recipe trains on (it did once: the recipe then trained a model 0.07 points worse on MNIST than the one
committed); this check makes such a change retrain the committed model."""

import json
from dataclasses import asdict

from digits.constants import METADATA_FILE, MODELS_DIR
from digits.folders import LabelledImages
from digits.training.config import PRECISIONS, RECIPES
from digits.training.handwriting_sources import OPTDIGITS, PENDIGITS
from digits.training.other_writers import CHECKSUM_KEY, OTHER_WRITERS, source_key
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


def test_the_committed_model_learnt_from_optdigits_and_pendigits_training_writers_only():
    # Which files its other writers' digits came from; the benchmark measures both on their other writers alone.
    recorded = METADATA["data"]["sha256"]
    assert METADATA["training"]["other_writers"] and CHECKSUM_KEY in recorded
    assert OTHER_WRITERS == (OPTDIGITS, PENDIGITS)
    assert all(recorded[source_key(collection)] == collection.member_sha256 for collection in OTHER_WRITERS)
    assert OPTDIGITS.training_rows == (range(0, 3823),)
    assert PENDIGITS.training_rows == (range(0, 6728), range(9892, 10658))
