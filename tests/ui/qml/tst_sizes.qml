import QtQuick
import QtTest
import Atelier

// Size validation: multiples of 8 within 64..8192, snapping typed values, the presets.
TestCase {
    name: "Sizes"

    function test_valid_sizes() {
        verify(Sizes.isValid(512, 512))
        verify(Sizes.isValid(64, 8192))
        verify(Sizes.isValid(832, 1216))
    }

    function test_invalid_sizes_say_why() {
        compare(Sizes.problem(510, 512), "510 is not a multiple of 8")
        compare(Sizes.problem(512, 56), "56 is outside 64–8192")
        compare(Sizes.problem(9000, 512), "9000 is outside 64–8192")
        verify(!Sizes.isValid(513, 512))
    }

    function test_snap() {
        compare(Sizes.snap(510), 512)
        compare(Sizes.snap(515), 512)
        compare(Sizes.snap(516), 520)
        compare(Sizes.snap(10), 64)
        compare(Sizes.snap(100000), 8192)
    }

    function test_presets_are_valid() {
        verify(Sizes.presets.length > 3)
        for (const preset of Sizes.presets) verify(Sizes.isValid(preset.width, preset.height), preset.label)
    }

    function test_sdxl_has_its_trained_resolutions() {
        for (const family of ["SDXL base", "SDXL refiner"]) {
            const presets = Sizes.presetsFor(family)
            compare(presets.length, 9, family)
            compare(presets[0].label, "1024 × 1024")
            compare(presets[8].width, 640)
            compare(presets[8].height, 1536)
            for (const preset of presets) verify(Sizes.isValid(preset.width, preset.height), preset.label)
        }
        compare(Sizes.presetsFor("SD1.x"), Sizes.presets)
    }
}
