import QtQuick
import QtTest
import Atelier

// The mask editor driven as a user does: strokes with the mouse, the keys, undo, invert, clear,
// loading a mask; the mask's pixels and how the canvas shows them over the image.
TestCase {
    id: test
    name: "MaskEditor"
    when: windowShown
    width: 1360
    height: 860

    readonly property string picture: testDataDir + "/upscalers/picture.png"  // 32×24

    StudioController { id: studio }

    Component {
        id: editorComponent
        MaskEditor { width: 800; height: 600 }
    }
    Component {
        id: viewComponent
        GenerateView { controller: studio; width: test.width; height: test.height }
    }
    // A landscape to paint over for the screenshot.
    Component {
        id: sceneComponent
        Rectangle {
            width: 512; height: 384
            gradient: Gradient { GradientStop { position: 0; color: "#355c7d" } GradientStop { position: 0.7; color: "#f8b195" } }
            Rectangle { x: 330; y: 70; width: 80; height: 80; radius: 40; color: "#fff3b0" }
            Rectangle { x: -80; y: 250; width: 420; height: 320; radius: 160; color: "#2d4739" }
            Rectangle { x: 200; y: 280; width: 460; height: 300; radius: 150; color: "#3f6b4f" }
        }
    }

    // The editor as the studio opens it: in its popup over the Generate tab's init image.
    function makeEditor() {
        const view = createTemporaryObject(viewComponent, test)
        const panel = findChild(view, "initImage")
        view.setInitImage(picture)
        panel.openMaskEditor()
        const editor = panel.maskEditor
        tryVerify(() => editor.canvas.imageSize.width === 32 && editor.canvas.imageSize.height === 24)
        tryVerify(() => editor.visible && editor.width > 0)
        wait(400)  // the popup's opening transition
        editor.canvas.brushSize = 4
        editor.canvas.hardness = 1
        editor.forceActiveFocus()
        return editor
    }

    // A stroke from (x0, y0) to (x1, y1), in fractions of the picture.
    function stroke(editor, x0, y0, x1, y1) {
        const area = findChild(editor, "maskBrushArea")
        mousePress(area, x0 * area.width, y0 * area.height)
        for (let t = 0.1; t <= 1.0001; t += 0.1)
            mouseMove(area, (x0 + t * (x1 - x0)) * area.width, (y0 + t * (y1 - y0)) * area.height, -1, Qt.LeftButton)
        mouseRelease(area, x1 * area.width, y1 * area.height)
    }

    function centreOfPicture(editor) {
        const area = findChild(editor, "maskBrushArea")
        return area.mapToItem(editor, area.width / 2, area.height / 2)
    }

    function test_a_stroke_through_the_centre_repaints_it() {
        const editor = makeEditor()
        verify(editor.canvas.blank)
        stroke(editor, 0.05, 0.5, 0.95, 0.5)
        verify(!editor.canvas.blank)
        compare(editor.canvas.maskValue(16, 12), 1)
        compare(editor.canvas.maskValue(3, 12), 1)
        compare(editor.canvas.maskValue(0, 0), 0)
        compare(editor.canvas.maskValue(31, 23), 0)
        compare(editor.canvas.maskValue(16, 2), 0)
    }

    function test_undo_and_redo_keys() {
        const editor = makeEditor()
        stroke(editor, 0.05, 0.5, 0.95, 0.5)
        stroke(editor, 0.5, 0.05, 0.5, 0.95)
        compare(editor.canvas.maskValue(16, 2), 1)
        keyClick(Qt.Key_Z, Qt.ControlModifier)
        compare(editor.canvas.maskValue(16, 2), 0)
        compare(editor.canvas.maskValue(16, 12), 1)
        keyClick(Qt.Key_Z, Qt.ControlModifier)
        verify(editor.canvas.blank)
        verify(!editor.canvas.canUndo)
        keyClick(Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
        compare(editor.canvas.maskValue(16, 12), 1)
        keyClick(Qt.Key_Y, Qt.ControlModifier)
        compare(editor.canvas.maskValue(16, 2), 1)
        verify(!editor.canvas.canRedo)
    }

    function test_invert_and_clear() {
        const editor = makeEditor()
        stroke(editor, 0.05, 0.5, 0.95, 0.5)
        keyClick(Qt.Key_I, Qt.ControlModifier)
        compare(editor.canvas.maskValue(16, 12), 0)
        compare(editor.canvas.maskValue(0, 0), 1)
        editor.canvas.invert()
        compare(editor.canvas.maskValue(16, 12), 1)
        compare(editor.canvas.maskValue(0, 0), 0)
        editor.canvas.clear()
        verify(editor.canvas.blank)
        editor.canvas.undo()
        compare(editor.canvas.maskValue(16, 12), 1)
    }

    function test_brush_size_keys_and_the_eraser() {
        const editor = makeEditor()
        editor.canvas.brushSize = 48
        keyClick(Qt.Key_BracketRight)
        compare(editor.canvas.brushSize, 58)
        keyClick(Qt.Key_BracketLeft)
        compare(editor.canvas.brushSize, 48)
        editor.canvas.brushSize = 1
        keyClick(Qt.Key_BracketLeft)
        compare(editor.canvas.brushSize, 1)  // the smallest brush
        keyClick(Qt.Key_BracketRight)
        compare(editor.canvas.brushSize, 2)  // grows by a pixel at least

        editor.canvas.brushSize = 8
        stroke(editor, 0.05, 0.5, 0.95, 0.5)
        keyClick(Qt.Key_X)
        verify(editor.canvas.erasing)
        verify(findChild(editor, "eraseTool").checked)
        editor.canvas.brushSize = 4
        stroke(editor, 0.5, 0.05, 0.5, 0.95)
        compare(editor.canvas.maskValue(16, 12), 0)
        compare(editor.canvas.maskValue(4, 12), 1)
        keyClick(Qt.Key_X)
        verify(!editor.canvas.erasing)
    }

    function test_saved_mask_loads_back() {
        const editor = makeEditor()
        stroke(editor, 0.05, 0.5, 0.95, 0.5)
        const file = testOutputDir + "/mask-editor-roundtrip.png"
        verify(editor.canvas.saveMask(file), editor.canvas.error())
        editor.canvas.clear()
        verify(editor.canvas.loadMask(file), editor.canvas.error())
        compare(editor.canvas.maskValue(16, 12), 1)
        compare(editor.canvas.maskValue(0, 0), 0)
        verify(!editor.canvas.loadMask(testOutputDir + "/no-such-mask.png"))
        verify(editor.canvas.error().indexOf("no-such-mask.png") >= 0, editor.canvas.error())
    }

    // The mask over the picture at the editor's opacity, in the tint; erasing shows the picture again.
    function test_the_mask_is_shown_over_the_picture() {
        const editor = makeEditor()
        editor.canvas.brushSize = 8
        const at = centreOfPicture(editor)
        const before = grabImage(editor).pixel(at.x, at.y)
        stroke(editor, 0.05, 0.5, 0.95, 0.5)
        waitForRendering(editor)
        const tint = editor.canvas.tint, k = editor.overlayOpacity
        const painted = grabImage(editor).pixel(at.x, at.y)
        fuzzyCompare(painted.g, (1 - k) * before.g + k * tint.g, 0.02)
        fuzzyCompare(painted.b, (1 - k) * before.b + k * tint.b, 0.02)
        editor.overlayOpacity = 1
        waitForRendering(editor)
        fuzzyCompare(grabImage(editor).pixel(at.x, at.y).g, tint.g, 0.02)
        editor.canvas.erasing = true
        stroke(editor, 0.05, 0.5, 0.95, 0.5)
        waitForRendering(editor)
        fuzzyCompare(grabImage(editor).pixel(at.x, at.y).g, before.g, 0.02)
    }

    // The studio as the lead's note shows it: the editor open over an init image with a mask painted.
    function test_screenshot_of_the_studio() {
        const scene = createTemporaryObject(sceneComponent, test)
        const file = testOutputDir + "/mask-editor-scene.png"
        let saved = false
        scene.grabToImage(result => { saved = result.saveToFile(file) })
        tryVerify(() => saved, 5000)
        scene.visible = false

        const view = createTemporaryObject(viewComponent, test)
        const panel = findChild(view, "initImage")
        view.setInitImage(file)
        panel.openMaskEditor()
        const editor = panel.maskEditor
        tryVerify(() => editor.canvas.imageSize.width === 512)
        tryVerify(() => editor.visible && editor.width > 0)
        wait(400)  // the popup's opening transition
        editor.canvas.brushSize = 70
        editor.canvas.hardness = 0.6
        stroke(editor, 0.62, 0.2, 0.82, 0.4)
        stroke(editor, 0.82, 0.2, 0.62, 0.4)
        verify(panel.hasMask)
        waitForRendering(view)
        grabImage(view).save(testOutputDir + "/mask-editor.png")
    }
}
