import QtQuick
import QtTest
import Atelier

// The gallery viewer's "Vary" (the image's own seed with a new variation seed) and "Upscale…"
// (A1111's extras: an upscaler and a factor, the copy saved beside the generations).
TestCase {
    id: test
    name: "ImageViewer"
    when: windowShown

    StudioController { id: studio }
    SignalSpy { id: finished; target: studio; signalName: "jobFinished" }
    Image { id: loaded; visible: false }

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

    function test_upscale_action_queues_a_larger_copy() {
        studio.settings.outputFolder = testOutputDir + "/upscaled"
        const source = testDataDir + "/upscalers/picture.png"
        loaded.source = "file://" + source
        tryCompare(loaded, "status", Image.Ready)
        const viewer = createTemporaryObject(viewerComponent, test, {
            width: 600, height: 500,
            entry: { path: source, url: "file://" + source, fileName: "picture.png",
                     imageWidth: loaded.sourceSize.width, imageHeight: loaded.sourceSize.height }
        })
        findChild(viewer, "upscaleButton").clicked()  // the test's items are not shown: the signal stands for a click
        const popup = findChild(viewer, "upscalePopup")
        tryCompare(popup, "opened", true)
        const upscalers = findChild(popup.contentItem, "upscaleUpscaler")
        compare(upscalers.model[0], "Lanczos")
        compare(upscalers.currentText, upscalers.model.length > 2 ? upscalers.model[2] : "Lanczos")
        upscalers.currentIndex = 0
        findChild(popup.contentItem, "upscaleScale").realValue = 3
        findChild(popup.contentItem, "upscaleStart").clicked()
        tryCompare(popup, "opened", false)
        finished.wait(60000)
        const copy = finished.signalArguments[0][1][0]
        verify(copy.indexOf("-picture-x3.png") > 0, copy)
        loaded.source = "file://" + copy
        tryCompare(loaded, "status", Image.Ready)
        compare(loaded.sourceSize.width, 3 * viewer.entry.imageWidth)
        compare(loaded.sourceSize.height, 3 * viewer.entry.imageHeight)
    }
}
