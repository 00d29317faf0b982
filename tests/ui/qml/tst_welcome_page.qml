import QtQuick
import QtTest
import Atelier

// The first-run page: a starter's licence is shown before anything downloads, Cancel starts
// nothing, accepting starts the download and its failure is shown on the page (test_ui_views runs
// with HF_ENDPOINT at a closed loopback port, so no download can reach the network).
TestCase {
    id: test
    name: "WelcomePage"
    width: 1000
    height: 900
    when: windowShown

    StudioController { id: studio }

    Component {
        id: windowComponent
        Main { controller: studio; visible: false }
    }

    Component {
        id: pageComponent
        WelcomePage { controller: studio; width: 1000; height: 900 }
    }

    function test_licence_first_then_the_download() {
        const page = createTemporaryObject(pageComponent, test)
        const starter = studio.downloads.starters.find(s => s.name === "sd15")
        verify(starter !== undefined)
        compare(page.chosenName, studio.downloads.suggestedStarter)
        const radio = findChild(page, "starter-sd15")
        radio.clicked()
        compare(page.chosenName, "sd15")

        const dialog = findChild(page, "licenceDialog")
        verify(!dialog.opened)
        findChild(page, "downloadStarter").clicked()
        tryVerify(() => dialog.opened)
        compare(findChild(dialog, "licenceName").text, starter.licence)
        verify(starter.licence !== "")
        dialog.reject()
        tryVerify(() => !dialog.opened)
        compare(studio.downloads.current, null)  // nothing starts before the licence is accepted

        findChild(page, "downloadStarter").clicked()
        tryVerify(() => dialog.opened)
        dialog.accept()
        tryVerify(() => studio.downloads.current !== null)
        const download = studio.downloads.current
        tryVerify(() => download.state === ModelDownload.Failed, 20000)
        verify(download.error.indexOf("127.0.0.1") >= 0, download.error)
        compare(findChild(page, "downloadStatus").text, download.error)  // the page says why
        verify(!page.downloading)
        verify(findChild(page, "downloadStarter").enabled)  // it can be tried again
    }

    // Once a downloaded model is listed, the Generate view has it picked, with a sample prompt.
    function test_a_downloaded_model_is_ready_with_a_sample_prompt() {
        const window = createTemporaryObject(windowComponent, test)
        const view = findChild(window.contentItem, "generateView")
        verify(view !== null)
        const model = testDataDir + "/sd1-tiny/model.safetensors"
        const folders = studio.settings.modelFolders
        studio.downloads.modelDownloaded(model)  // as a finished download announces it
        studio.settings.modelFolders = [testDataDir + "/sd1-tiny"]  // the rescan that follows lists it
        tryVerify(() => view.currentParameters().prompt === window.samplePrompt, 20000)
        compare(view.currentParameters().model, model)
        studio.settings.modelFolders = folders
    }
}
