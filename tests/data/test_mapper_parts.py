"""TopDownDatasetMapper checks its parts when built: the string 'None' of an override ``lja=None`` (or a
codec / augmentation of the wrong type) is one line naming the part and the override spelling ``null``,
not a ``TypeError: 'str' object is not callable`` at the first training step."""

import unittest

import torch
from detectron2.config import LazyConfig, instantiate

from ljof.data import MSRAHeatmap, TopDownDatasetMapper
from ljof.errors import InputError
from ljof.model_zoo import get_config
from tests.common import register_fixture
from tests.data.fixture_records import fixture_records


class TestMapperParts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.records, cls.meta = fixture_records("coco")

    def test_wrong_parts_are_refused_when_built(self):
        with self.assertRaises(InputError) as cm:
            TopDownDatasetMapper(True, metadata=self.meta, lja="None")
        self.assertEqual(
            str(cm.exception),
            "TopDownDatasetMapper: lja holds 'None' (str), not None or a callable; in an override, "
            "None is spelled null (e.g. dataloader.train.mapper.lja=null)",
        )
        with self.assertRaisesRegex(InputError, "codecs holds 2 .int., not a HeatmapCodec"):
            TopDownDatasetMapper(True, metadata=self.meta, codecs=[MSRAHeatmap(), 2])
        with self.assertRaisesRegex(InputError, "augmentations holds 'flip' .str., not an Augm"):
            TopDownDatasetMapper(True, metadata=self.meta, augmentations=["flip"])

    def test_joint_weights(self):
        """Per-joint weights multiply the target weights; a wrong length or a negative weight is refused
        when built, naming the metadata."""
        jw = [1.0] * 16 + [2.0]
        plain = TopDownDatasetMapper(True, metadata=self.meta, augmentations=[])
        weighted = TopDownDatasetMapper(True, metadata=self.meta, augmentations=[], joint_weights=jw)
        a, b = plain(self.records[0]), weighted(self.records[0])
        expected = a["target_weights"][0] * torch.tensor(jw)
        self.assertEqual(b["target_weights"][0].tolist(), expected.tolist())
        self.assertEqual(b["target_weights"][0][-1].item(), 2.0 * a["target_weights"][0][-1].item())
        with self.assertRaisesRegex(ValueError, "joint_weights must be 17 numbers >= 0"):
            TopDownDatasetMapper(True, metadata=self.meta, joint_weights=[1.0] * 14)
        with self.assertRaisesRegex(ValueError, "joint_weights must be 17 numbers >= 0"):
            TopDownDatasetMapper(True, metadata=self.meta, joint_weights=[-1.0] * 17)

    def test_lja_off_through_a_config_override(self):
        """The ablation 'LJA off' from the LJOF config: null builds a mapper without LJA that maps."""
        name = register_fixture("coco")

        def mapper_of(override):
            cfg = get_config("main_job/lja.py")
            self.assertIsNotNone(cfg.dataloader.train.mapper.lja)  # the config turns LJA on
            cfg.dataloader.train.dataset.names = name
            cfg = LazyConfig.apply_overrides(cfg, [override])  # detectron2's, unchecked
            return instantiate(cfg.dataloader.train.mapper)

        mapper = mapper_of("dataloader.train.mapper.lja=null")
        self.assertIsNone(mapper.lja)
        self.assertIn("heatmaps", mapper(self.records[0]))
        with self.assertRaisesRegex(InputError, "lja holds 'None'"):
            mapper_of("dataloader.train.mapper.lja=None")


if __name__ == "__main__":
    unittest.main()
