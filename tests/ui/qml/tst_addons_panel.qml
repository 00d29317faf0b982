import QtQuick
import QtTest
import Atelier

// The add-ons panel beside the prompt over a library of the sd1-tiny-networks embeddings: it
// loads, lists the cards, a click puts the word in the prompt at the cursor, the counter counts
// the embedding's vectors, and a `<lora:…>` tag the library lacks is named under the prompt.
TestCase {
    id: test
    name: "AddonsPanel"
    when: windowShown
    visible: true  // TestCase is hidden by default: the clicks need the view shown
    width: 1200
    height: 900

    StudioController { id: studio }
    property var savedFolders

    Component {
        id: viewComponent
        GenerateView { controller: studio; width: 1200; height: 900 }
    }

    function initTestCase() {
        savedFolders = studio.settings.modelFolders
        studio.settings.modelFolders = [fixturesDir + "/sd1-tiny-networks"]  // an Atelier root: embeddings/
        studio.addons.kind = "embedding"
        tryVerify(() => !studio.models.scanning && !studio.addons.refreshing && studio.addons.count === 2, 20000)
    }
    function cleanupTestCase() { studio.settings.modelFolders = savedFolders }

    function test_panel_shows_cards_and_inserts_at_the_cursor() {
        const view = createTemporaryObject(viewComponent, test)
        const button = findChild(view, "addonsButton")
        const panel = findChild(view, "addonsPanel")
        verify(!panel.visible)
        mouseClick(button)
        verify(panel.visible)
        compare(findChild(panel, "addonKinds").currentIndex, 1)  // the catalog shows embeddings
        const grid = findChild(panel, "addonGrid")
        tryVerify(() => grid.count === 2)
        waitForRendering(panel)
        const shot = grabImage(view)
        verify(shot.width === view.width && shot.height === view.height, shot.width + "x" + shot.height)
        shot.save(testOutputDir + "/addons-panel.png")  // to look at

        view.applyParameters({ prompt: "a cat" })
        const area = findChild(findChild(view, "prompt"), "textArea")
        area.cursorPosition = 0
        const card = grid.itemAtIndex(studio.addons.get(0).name === "tinystyle" ? 0 : 1)
        mouseClick(card)
        compare(view.currentParameters().prompt, "tinystyle a cat")
        // tinystyle: 3 vectors, not its 2 BPE ids.
        compare(findChild(view, "tokenCounter").text, "5/75")
    }

    function test_search_filters_the_cards() {
        const view = createTemporaryObject(viewComponent, test)
        mouseClick(findChild(view, "addonsButton"))
        const search = findChild(view, "addonSearch")
        search.forceActiveFocus()
        keyClick(Qt.Key_G)
        keyClick(Qt.Key_L)
        compare(studio.addons.count, 1)
        compare(studio.addons.get(0).name, "glowfx")
        search.selectAll()
        keyClick(Qt.Key_Delete)
        compare(studio.addons.count, 2)
    }

    function test_a_missing_network_is_named_under_the_prompt() {
        const view = createTemporaryObject(viewComponent, test)
        view.applyParameters({ prompt: "a cat <lora:nowhere:0.7>" })
        const warning = findChild(view, "promptWarning")
        verify(warning !== null)
        verify(warning.text.indexOf("nowhere") >= 0, warning.text)
    }
}
