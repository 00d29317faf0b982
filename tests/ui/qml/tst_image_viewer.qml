import QtQuick
import QtTest
import Atelier

// The gallery viewer's "Vary": the image's own seed with a new variation seed.
TestCase {
    id: test
    name: "ImageViewer"
    when: windowShown

    StudioController { id: studio }

    Component {
        id: viewerComponent
        ImageViewer { controller: studio }
    }

    function test_vary_keeps_the_seed_and_draws_a_new_variation_seed() {
        const viewer = createTemporaryObject(viewerComponent, test)
        const plain = viewer.variation({ seed: 1234, prompt: "a fox", batchCount: 4, variationSeed: 9, variationStrength: 0 })
        compare(plain.seed, 1234)
        compare(plain.prompt, "a fox")
        compare(plain.variationSeed, -1)
        compare(plain.variationStrength, 0.25)
        compare(plain.batchCount, 1)
        compare(viewer.variation({ seed: 1, variationStrength: 0.6 }).variationStrength, 0.6)
    }
}
