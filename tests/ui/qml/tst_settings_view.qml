import QtQuick
import QtTest
import Atelier

// The Settings page's API switch and port reach the settings the studio's API follows
// (app/studio_api, tested in test_ui_api), and the page shows what the API reports.
TestCase {
    id: test
    name: "SettingsView"
    width: 1000
    height: 900
    when: windowShown

    StudioController { id: studio }

    Component {
        id: viewComponent
        SettingsView { controller: studio; width: 1000; height: 900 }
    }

    function test_api_switch_and_port() {
        const enabled = studio.settings.apiEnabled
        const port = studio.settings.apiPort
        const view = createTemporaryObject(viewComponent, test)
        const toggle = findChild(view, "apiSwitch")
        compare(toggle.checked, enabled)
        toggle.toggle()
        toggle.toggled()
        compare(studio.settings.apiEnabled, !enabled)

        const spin = findChild(view, "apiPort")
        compare(spin.value, port)
        compare(spin.displayText, String(port))  // no digit grouping: "7860", not "7,860"
        spin.value = 7861
        spin.valueModified()
        compare(studio.settings.apiPort, 7861)

        compare(findChild(view, "apiStatus").text, studio.apiStatus)
        studio.settings.apiEnabled = enabled
        studio.settings.apiPort = port
        compare(toggle.checked, enabled)
    }
}
